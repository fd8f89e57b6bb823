"""Exercises on Redshift: loading with COPY, querying the lake with Spectrum (Data API)."""

from __future__ import annotations

import re

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
    if not records or records[0][0].get("isNull"):
        return None
    return next(iter(records[0][0].values()))


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
    # the sandbox records table attributes in sandbox_table_attributes (on AWS: SVV_TABLE_INFO.diststyle)
    distkey = _scalar(g, cluster, "SELECT max(distkey) FROM sandbox_table_attributes WHERE table_name = 'orders'",
                      "the table attributes of orders cannot be read")
    g.expect(str(distkey or "").strip('"').lower() == "customer_id",
             f"orders is distributed by {distkey or 'no DISTKEY (EVEN/AUTO)'}: declare DISTKEY(customer_id) in "
             "CREATE TABLE so joins and aggregations by customer stay on one slice", "DISTKEY(customer_id)")
    data = g.client("redshift-data")
    copy = re.compile(r"^\s*copy\s+(?:public\.)?\"?orders\"?\s*(?:\([^)]*\)\s*)?from\s+'s3://", re.I)
    copies = [s for s in data.list_statements(Status="FINISHED", MaxResults=100)["Statements"]
              if any(copy.search(q) for q in [s.get("QueryString", ""), *s.get("QueryStrings", [])])]
    loaded = [s for s in copies if data.describe_statement(Id=s["Id"]).get("ClusterIdentifier") == cluster[
        "ClusterIdentifier"]]
    g.expect(loaded, "no FINISHED COPY orders FROM 's3://...' statement on ex14-warehouse: load the table with COPY "
                     "(parallel load from S3), not INSERT", "orders was loaded with COPY from S3")


def check_spectrum(g: Grader) -> None:
    cluster = _cluster(g, "ex15-warehouse")
    # the sandbox records external schemas in sandbox_external_schemas (on AWS: SVV_EXTERNAL_SCHEMAS)
    catalog = _scalar(g, cluster, "SELECT max(glue_database) FROM sandbox_external_schemas "
                                  "WHERE schema_name = 'spectrum'", "the external schemas cannot be read")
    g.need(catalog, "spectrum is not an external schema: CREATE EXTERNAL SCHEMA spectrum FROM DATA CATALOG DATABASE "
                    "'ex15_lake' IAM_ROLE '...' (a local schema with a copy of the data is not Spectrum)",
           "spectrum is an external schema over the Glue Data Catalog")
    g.expect(catalog == "ex15_lake", f"the external schema spectrum points at the catalog database {catalog}, "
                                     "not ex15_lake", "over the database ex15_lake")
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
