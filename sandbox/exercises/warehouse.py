"""Exercises on Redshift: loading with COPY, querying the lake with Spectrum (Data API)."""

from __future__ import annotations

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import redshift_sql

NOTEBOOK = "notebooks/05_athena_redshift.ipynb"


def _cluster(g: Grader, name: str) -> dict:
    redshift = g.client("redshift")
    clusters = [c for c in redshift.describe_clusters()["Clusters"] if c["ClusterIdentifier"] == name]
    g.need(clusters, f"Redshift cluster {name} does not exist (redshift.create_cluster)", f"cluster {name} exists")
    cluster = clusters[0]
    g.need(cluster.get("ClusterStatus") == "available", f"cluster {name} is {cluster.get('ClusterStatus')}, "
                                                        "not available")
    return cluster


def _scalar(g: Grader, cluster: dict, sql: str, problem: str) -> object:
    data = g.client("redshift-data")
    try:
        described = redshift_sql(data, cluster["ClusterIdentifier"], sql, database=cluster.get("DBName", "dev"),
                                 user=cluster.get("MasterUsername", "awsuser"))
    except RuntimeError as exc:
        g.stop(f"{problem} ({str(exc).splitlines()[0]})")
    records = data.get_statement_result(Id=described["Id"])["Records"]
    return next(iter(records[0][0].values())) if records else None


def check_copy(g: Grader) -> None:
    cluster = _cluster(g, "ex14-warehouse")
    rows = _scalar(g, cluster, "SELECT COUNT(*) FROM orders", "table orders cannot be queried in ex14-warehouse")
    g.expect(rows and int(rows) >= 100, f"table orders holds {rows} rows; COPY the orders from S3 into it",
             f"orders holds {rows} rows")
    completed = _scalar(g, cluster, "SELECT COUNT(*) FROM orders WHERE status = 'completed'",
                        "orders has no status column to filter on")
    g.expect(completed and 0 < int(completed) < int(rows or 0),
             f"orders has {completed} completed of {rows} rows: the columns do not look loaded correctly",
             "columns loaded (status filter works)")


def check_spectrum(g: Grader) -> None:
    cluster = _cluster(g, "ex15-warehouse")
    rows = _scalar(g, cluster, "SELECT COUNT(*) FROM spectrum.customers",
                   "spectrum.customers cannot be queried: CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG "
                   "DATABASE 'ex15_lake' ... and catalog a customers table in ex15_lake")
    g.expect(rows and int(rows) > 0, f"spectrum.customers returns {rows} rows: is there data under its S3 location?",
             f"spectrum.customers reads {rows} rows straight from S3")


EXERCISES = [
    Exercise(14, "redshift-copy", "Redshift", "Load the warehouse with COPY",
             "Create the Redshift cluster `ex14-warehouse` and load the orders from S3 (Parquet) into a table "
             "`orders` in database `dev` with COPY, choosing customer_id as the distribution key.",
             ("Redshift for OLAP on structured data", "COPY from S3 (parallel load) vs INSERT",
              "distribution and sort keys"),
             ("redshift.create_cluster", "redshift-data execute_statement: CREATE TABLE ... DISTKEY(customer_id), "
              "COPY orders FROM 's3://...' IAM_ROLE '...' FORMAT AS PARQUET"), check_copy, NOTEBOOK,
             ("redshift", "redshift-data")),
    Exercise(15, "redshift-spectrum", "Redshift Spectrum", "Query the lake from Redshift without loading it",
             "In the cluster `ex15-warehouse`, make `SELECT COUNT(*) FROM spectrum.customers` work, reading the "
             "customers CSV where it lies in S3 through the Glue Data Catalog database `ex15_lake` (no COPY).",
             ("Redshift Spectrum: external schemas over the Glue Data Catalog", "when to load vs query in place"),
             ("catalog the CSV (crawler or create_table) in ex15_lake",
              "CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG DATABASE 'ex15_lake' IAM_ROLE '...'"),
             check_spectrum, NOTEBOOK, ("redshift", "redshift-data", "glue")),
]
