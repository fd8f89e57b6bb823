"""Redshift, EMR and AWS Batch pages and samples, followed as a new user would, where the sandbox used to differ.

Each test names the AWS page it follows (Redshift Database Developer Guide, the Data API guide, the EMR and
EMR Serverless guides, the AWS Batch user guide and API reference) and checks what AWS answers: rows loaded
and returned, system tables, response shapes and error codes. No Spark job runs here.
"""

from __future__ import annotations

import concurrent.futures
import json
import time
import uuid

import pytest
from botocore.exceptions import ClientError
from tests.helpers.waiting import wait_for_emr_step as _step
from tests.helpers.waiting import wait_for_statement as wait

ROLE = "arn:aws:iam::123456789012:role/RedshiftCopyUnload"




def submit(data, cluster, sql, **extra):
    return data.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser", Sql=sql,
                                  **extra)["Id"]


def run(data, cluster, sql, **extra):
    described = wait(data, submit(data, cluster, sql, **extra))
    assert described["Status"] == "FINISHED", (described.get("Error"), sql)
    return described


def rows(data, cluster, sql):
    described = run(data, cluster, sql)
    result = data.get_statement_result(Id=described["Id"])
    names = [c["name"] for c in result["ColumnMetadata"]]
    return [dict(zip(names, [None if f.get("isNull") else next(iter(f.values())) for f in record]))
            for record in result["Records"]]


def fails(data, cluster, sql):
    described = wait(data, submit(data, cluster, sql))
    assert described["Status"] == "FAILED", sql
    return described["Error"]


@pytest.fixture(scope="module")
def redshift(aws):
    """A provisioned cluster ``docs`` and a bucket with the tutorial's small input files."""
    s3 = aws.client("s3")
    cluster = f"docs-{uuid.uuid4().hex[:6]}"
    aws.client("redshift").create_cluster(ClusterIdentifier=cluster, NodeType="ra3.xlplus", MasterUsername="awsuser",
                                          MasterUserPassword="Sandbox-Passw0rd", DBName="dev",
                                          ClusterType="single-node")
    bucket = f"redshift-docs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    files = {
        "tickit/category_pipe.txt": "1|Sports|MLB|Major League Baseball\n2|Sports|NHL|National Hockey League\n"
                                    "3|Sports|NFL|National Football League\n",
        "tickit/category.csv": "catid,catgroup,catname,catdesc\n4|x\n4,Sports,NBA,\"Basketball, pro\"\n",
        "json/category_auto.json": '{"catdesc": "Major League Soccer", "catid": 5, "catgroup": "Sports", '
                                   '"catname": "MLS"}\n{"CatId": 6, "CatGroup": "Shows", "CatName": "Musicals"}',
        "json/category_paths.json": '{"id": 7, "info": {"group": "Concerts", "name": "Pop"}}',
        "json/jsonpaths.json": json.dumps({"jsonpaths": ["$.id", "$.info.group", "$['info']['name']",
                                                         "$.missing"]}),
        "bad/venue.txt": "1|Toyota Park|Bridgeview|IL|0\nx2|Columbus Crew Stadium|Columbus|OH|0\n"
                         "3|RFK Stadium|Washington|DC|0\n4|CommunityAmerica Ballpark|Kansas City\n",
    }
    for key, body in files.items():
        s3.put_object(Bucket=bucket, Key=key, Body=body.encode())
    return {"data": aws.client("redshift-data"), "cluster": cluster, "bucket": bucket}


def test_tickit_load_tutorial_copy_formats_and_table_design(redshift):
    """Source: Redshift Database Developer Guide, "Tutorial: Loading data from Amazon S3" and "COPY examples"
    (pipe-delimited text with REGION, CSV with IGNOREHEADER, JSON 'auto' / 'auto ignorecase', a JSONPaths file),
    "CREATE TABLE" (column-level DISTKEY SORTKEY, IDENTITY; the public schema) and the PG_TABLE_DEF /
    SVV_TABLE_INFO / PG_TABLES / information_schema / SHOW TABLES / SHOW COLUMNS pages."""
    data, cluster, bucket = redshift["data"], redshift["cluster"], redshift["bucket"]
    run(data, cluster, "create table public.category(catid smallint not null distkey sortkey, catgroup varchar(10), "
                       "catname varchar(10), catdesc varchar(50))")
    loaded = run(data, cluster, f"copy category from 's3://{bucket}/tickit/category_pipe.txt' iam_role '{ROLE}' "
                                "delimiter '|' region 'us-east-1' compupdate off statupdate off")
    assert loaded["ResultRows"] == 3
    # a CSV whose first data line lacks fields: MAXERROR 1 lets the good line load
    csv_copy = run(data, cluster, f"copy category from 's3://{bucket}/tickit/category.csv' iam_role '{ROLE}' "
                                  "csv ignoreheader 1 maxerror 1")
    assert csv_copy["ResultRows"] == 1
    run(data, cluster, f"copy category from 's3://{bucket}/json/category_auto.json' iam_role '{ROLE}' "
                       "format as json 'auto ignorecase'")
    run(data, cluster, f"copy category from 's3://{bucket}/json/category_paths.json' iam_role '{ROLE}' "
                       f"json 's3://{bucket}/json/jsonpaths.json'")
    found = rows(data, cluster, "select catid, catgroup, catname, catdesc from category order by catid")
    assert [(r["catid"], r["catname"]) for r in found] == [(1, "MLB"), (2, "NHL"), (3, "NFL"), (4, "NBA"),
                                                           (5, "MLS"), (6, "Musicals"), (7, "Pop")]
    assert found[3]["catdesc"] == "Basketball, pro" and found[6]["catgroup"] == "Concerts"
    assert found[6]["catdesc"] is None
    definition = rows(data, cluster, "select \"column\", type, distkey, sortkey, \"notnull\" from pg_table_def "
                                     "where tablename = 'category'")
    assert definition[0] == {"column": "catid", "type": "smallint", "distkey": True, "sortkey": 1, "notnull": True}
    assert definition[1]["type"] == "character varying" and definition[1]["distkey"] is False
    assert rows(data, cluster, "select count(*) from public.category") == [{"count": 7}]
    assert rows(data, cluster, "select table_name from information_schema.tables where table_schema = 'public' "
                               "and table_name = 'category'") == [{"table_name": "category"}]
    assert rows(data, cluster, "select schemaname from pg_tables where tablename = 'category'") == [
        {"schemaname": "public"}]
    shown = rows(data, cluster, "show tables from schema dev.public like 'categ%'")
    assert [(r["schema_name"], r["table_name"], r["table_type"]) for r in shown] == [("public", "category", "TABLE")]
    assert [r["column_name"] for r in rows(data, cluster, "show columns from table dev.public.category")] == [
        "catid", "catgroup", "catname", "catdesc"]
    info = rows(data, cluster, "select \"table\", diststyle, sortkey1, tbl_rows from svv_table_info "
                               "where \"table\" = 'category'")
    assert info == [{"table": "category", "diststyle": "KEY(catid)", "sortkey1": "catid", "tbl_rows": 7}]
    run(data, cluster, "create table event (eventid integer identity(1,1), eventname varchar(200), "
                       "starttime timestamp default getdate()) diststyle even")
    run(data, cluster, "insert into event (eventname) values ('Hamlet'), ('Carmen')")
    assert [r["eventid"] for r in rows(data, cluster, "select eventid from event order by eventid")] == [1, 2]
    run(data, cluster, "create table event_zero (id bigint identity(0, 1), name varchar(10))")
    run(data, cluster, "insert into event_zero (name) values ('a'), ('b')")
    assert [r["id"] for r in rows(data, cluster, "select id from event_zero order by id")] == [0, 1]
    run(data, cluster, "create table event_copy (like event)")
    assert rows(data, cluster, "select count(*) from event_copy") == [{"count": 0}]


def test_copy_load_errors_are_in_stl_load_errors(redshift):
    """Source: Redshift Database Developer Guide, "Troubleshooting data loads" / "STL_LOAD_ERRORS" and
    "SYS_LOAD_ERROR_DETAIL": a COPY with bad rows fails (nothing loaded) and the system tables say which line,
    column and why; with MAXERROR the good rows load."""
    data, cluster, bucket = redshift["data"], redshift["cluster"], redshift["bucket"]
    run(data, cluster, "create table venue (venueid smallint not null, venuename varchar(100), "
                       "venuecity varchar(30), venuestate char(2), venueseats integer)")
    error = fails(data, cluster, f"copy venue from 's3://{bucket}/bad/venue.txt' iam_role '{ROLE}' delimiter '|'")
    assert error == "ERROR: Load into table 'venue' failed. Check 'stl_load_errors' system table for details."
    assert rows(data, cluster, "select count(*) from venue") == [{"count": 0}]
    logged = rows(data, cluster, "select filename, line_number, colname, err_code, err_reason, raw_field_value "
                                 "from stl_load_errors where filename like '%venue.txt' order by line_number")
    assert [(r["line_number"], r["colname"], r["err_code"]) for r in logged] == [(2, "venueid", 1207),
                                                                                (4, "venuestate", 1214)]
    assert logged[0]["raw_field_value"] == "x2" and logged[0]["err_reason"].startswith("Invalid digit")
    assert logged[1]["err_reason"] == "Delimiter not found"
    assert logged[0]["filename"] == f"s3://{bucket}/bad/venue.txt"
    detail = rows(data, cluster, "select line_number, column_name, error_code from sys_load_error_detail "
                                 "where file_name like '%venue.txt' order by line_number")
    assert detail[0] == {"line_number": 2, "column_name": "venueid", "error_code": 1207}
    loaded = run(data, cluster, f"copy venue from 's3://{bucket}/bad/venue.txt' iam_role '{ROLE}' "
                                "delimiter '|' maxerror 5")
    assert loaded["ResultRows"] == 2
    assert [r["venueid"] for r in rows(data, cluster, "select venueid from venue order by 1")] == [1, 3]


def test_materialized_views_and_redshift_functions(redshift):
    """Source: Redshift Database Developer Guide, "Creating materialized views" (CREATE / REFRESH / DROP
    MATERIALIZED VIEW) and the SQL reference pages for TOP, DECODE, NVL2, CONVERT, LISTAGG ... WITHIN GROUP,
    TO_CHAR and CURRENT_USER."""
    data, cluster = redshift["data"], redshift["cluster"]
    run(data, cluster, "create table sales (salesid int, region varchar(10), qty int)")
    run(data, cluster, "insert into sales values (1, 'east', 2), (2, 'west', 5), (3, 'east', 1)")
    run(data, cluster, "create materialized view mv_region distkey(region) sortkey(region) auto refresh no as "
                       "select region, sum(qty) as total from sales group by region")
    run(data, cluster, "insert into sales values (4, 'west', 10)")
    assert rows(data, cluster, "select total from mv_region where region = 'west'") == [{"total": 5}]
    run(data, cluster, "refresh materialized view mv_region")
    assert rows(data, cluster, "select total from mv_region where region = 'west'") == [{"total": 15}]
    assert "not a materialized view" in fails(data, cluster, "refresh materialized view sales")
    run(data, cluster, "drop materialized view mv_region")
    assert "does not exist" in fails(data, cluster, "select * from mv_region")
    top = rows(data, cluster, "select top 2 salesid, decode(region, 'east', 'E', 'west', 'W', '?') as code, "
                              "nvl2(qty, 'has qty', 'none') as has, convert(varchar(5), qty) as q "
                              "from sales order by salesid")
    assert top == [{"salesid": 1, "code": "E", "has": "has qty", "q": "2"},
                   {"salesid": 2, "code": "W", "has": "has qty", "q": "5"}]
    spelled = rows(data, cluster, "select listagg(region, ',') within group (order by salesid desc) as regions, "
                                  "to_char('2024-03-05 10:11:12'::timestamp, 'YYYY-MM-DD HH24:MI') as stamp, "
                                  "current_user as who from sales")
    assert spelled == [{"regions": "west,east,west,east", "stamp": "2024-03-05 10:11", "who": "awsuser"}]


def test_batch_statements_are_transactions_and_results_come_as_csv(redshift):
    """Source: Redshift Management Guide, "Using the Amazon Redshift Data API" (BatchExecuteStatement runs its
    statements as one transaction; ResultFormat CSV is fetched with GetStatementResultV2) and the Data API
    reference for GetStatementResult / GetStatementResultV2 / DescribeTable."""
    data, cluster = redshift["data"], redshift["cluster"]
    target = {"ClusterIdentifier": cluster, "Database": "dev", "DbUser": "awsuser"}
    run(data, cluster, "create table ledger (id int, note varchar(20))")

    def batch(n):
        return data.batch_execute_statement(**target, Sqls=[f"insert into ledger values ({n}, 'a')",
                                                             f"insert into ledger values ({n}, 'b')",
                                                             "select count(*) from ledger"])["Id"]

    with concurrent.futures.ThreadPoolExecutor(4) as pool:
        ids = list(pool.map(batch, range(6)))
    assert [wait(data, i)["Status"] for i in ids] == ["FINISHED"] * 6
    script = "insert into ledger values (50, 'x');\n insert into ledger values (51, 'y');\n"
    split = wait(data, data.batch_execute_statement(**target, Sqls=list(filter(None, script.split(";"))))["Id"])
    assert split["Status"] == "FINISHED"  # the sample's script.split(';') leaves a whitespace-only statement
    failed = wait(data, data.batch_execute_statement(**target, Sqls=[
        "insert into ledger values (99, 'kept?')", "insert into no_such_table values (1)"])["Id"])
    assert failed["Status"] == "FAILED"
    assert [s["Status"] for s in failed["SubStatements"]] == ["ABORTED", "FAILED"]
    assert rows(data, cluster, "select count(*) from ledger where id = 99") == [{"count": 0}]
    assert [c["name"] for c in data.describe_table(**target, Table="ledger")["ColumnList"]] == ["id", "note"]
    csv_id = wait(data, submit(data, cluster, "select id, note from ledger where id = 0 order by note",
                               ResultFormat="CSV"))["Id"]
    assert data.describe_statement(Id=csv_id)["ResultFormat"] == "CSV"
    result = data.get_statement_result_v2(Id=csv_id)
    assert result["ResultFormat"] == "CSV" and result["TotalNumRows"] == 2
    assert result["Records"] == [{"CSVRecords": "id,note\n0,a\n0,b\n"}]
    with pytest.raises(ClientError) as exc:
        data.get_statement_result(Id=csv_id)
    assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_emr_unknown_cluster_and_serverless_application_lifecycle(aws):
    """Source: Amazon EMR API reference (ListSteps, ListInstanceGroups, TerminateJobFlows: an unknown cluster id
    is InvalidRequestException) and the EMR Serverless user guide, "Interacting with an application" (a new
    application is CREATED; StartApplication -> STARTED; StopApplication -> STOPPED; unknown ids are 404s)."""
    emr, serverless = aws.client("emr"), aws.client("emr-serverless")
    for call in (lambda: emr.list_steps(ClusterId="j-NOSUCHCLUSTER"),
                 lambda: emr.list_instance_groups(ClusterId="j-NOSUCHCLUSTER"),
                 lambda: emr.list_bootstrap_actions(ClusterId="j-NOSUCHCLUSTER"),
                 lambda: emr.terminate_job_flows(JobFlowIds=["j-NOSUCHCLUSTER"])):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "InvalidRequestException"
    app = serverless.create_application(name="docs-app", releaseLabel="emr-7.1.0", type="Spark")["applicationId"]
    assert serverless.get_application(applicationId=app)["application"]["state"] == "CREATED"
    assert serverless.list_job_runs(applicationId=app)["jobRuns"] == []
    serverless.start_application(applicationId=app)
    assert serverless.get_application(applicationId=app)["application"]["state"] == "STARTED"
    serverless.stop_application(applicationId=app)
    assert serverless.get_application(applicationId=app)["application"]["state"] == "STOPPED"
    for call in (lambda: serverless.get_application(applicationId="00nosuchapp00000"),
                 lambda: serverless.get_job_run(applicationId=app, jobRunId="00nosuchrun00000")):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"
        assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 404
    serverless.delete_application(applicationId=app)


def _batch_job(batch, job_id, timeout=30):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        job = batch.describe_jobs(jobs=[job_id])["jobs"][0]
        if job["status"] in ("SUCCEEDED", "FAILED"):
            return job
        time.sleep(0.1)
    raise AssertionError(f"job {job_id} still {job['status']}")


def test_batch_fargate_environment_retry_rules_and_limits(aws):
    """Source: AWS Batch user guide, "Getting started with AWS Batch on Fargate" (a compute environment without
    serviceRole uses the AWSServiceRoleForBatch service-linked role), "Automated job retries"
    (retryStrategy.evaluateOnExit: the first matching rule says RETRY or EXIT; SubmitJob's retryStrategy replaces
    the definition's) and the SubmitJob /
    RegisterJobDefinition references (array size 2-10,000, attempts 1-10)."""
    batch, ec2 = aws.client("batch"), aws.client("ec2")
    name = f"docs-{uuid.uuid4().hex[:6]}"
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    group = ec2.describe_security_groups()["SecurityGroups"][0]["GroupId"]
    batch.create_compute_environment(computeEnvironmentName=name, type="MANAGED", state="ENABLED",
                                     computeResources={"type": "FARGATE", "maxvCpus": 4, "subnets": [subnet],
                                                       "securityGroupIds": [group]})
    environment = batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"][0]
    assert environment["serviceRole"].endswith(":role/aws-service-role/batch.amazonaws.com/AWSServiceRoleForBatch")
    batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}])
    definition = batch.register_job_definition(
        jobDefinitionName=name, type="container", platformCapabilities=["FARGATE"],
        containerProperties={"image": "public.ecr.aws/docker/library/busybox:latest", "command": ["sh", "-c", "exit 0"],
                             "resourceRequirements": [{"type": "VCPU", "value": "0.25"},
                                                      {"type": "MEMORY", "value": "512"}]},
        retryStrategy={"attempts": 3, "evaluateOnExit": [{"onExitCode": "3", "action": "EXIT"},
                                                         {"onExitCode": "4*", "action": "RETRY"},
                                                         {"onReason": "*", "action": "EXIT"}]})["jobDefinitionArn"]

    def submit_exit(code):
        return batch.submit_job(jobName=f"exit{code}", jobQueue=name, jobDefinition=definition,
                                containerOverrides={"command": ["sh", "-c", f"exit {code}"]})["jobId"]

    stops, retries, other = (_batch_job(batch, j) for j in [submit_exit(3), submit_exit(42), submit_exit(5)])
    assert (stops["status"], len(stops["attempts"])) == ("FAILED", 1)
    assert (retries["status"], len(retries["attempts"])) == ("FAILED", 3)
    assert len(other["attempts"]) == 1
    overridden = _batch_job(batch, batch.submit_job(jobName="override", jobQueue=name, jobDefinition=definition,
                                                    retryStrategy={"attempts": 2},
                                                    containerOverrides={"command": ["sh", "-c", "exit 3"]})["jobId"])
    assert len(overridden["attempts"]) == 2 and overridden["retryStrategy"] == {"attempts": 2}
    for call in (lambda: batch.submit_job(jobName="too-small", jobQueue=name, jobDefinition=definition,
                                          arrayProperties={"size": 1}),
                 lambda: batch.register_job_definition(jobDefinitionName=name, type="container",
                                                       containerProperties={"image": "busybox", "vcpus": 1,
                                                                            "memory": 128, "command": ["true"]},
                                                       retryStrategy={"attempts": 11})):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "ClientException"
    batch.deregister_job_definition(jobDefinition=definition)
    with pytest.raises(ClientError) as exc:
        batch.submit_job(jobName="late", jobQueue=name, jobDefinition=definition)
    assert exc.value.response["Error"]["Code"] == "ClientException"


def test_spectrum_tutorial_external_tables_in_the_glue_catalog(aws, redshift):
    """Source: Redshift Database Developer Guide, "Getting started with Amazon Redshift Spectrum" (CREATE EXTERNAL
    SCHEMA ... CREATE EXTERNAL DATABASE IF NOT EXISTS, CREATE EXTERNAL TABLE ... ROW FORMAT DELIMITED FIELDS
    TERMINATED BY '\\t' STORED AS TEXTFILE LOCATION, a join with a local table) and "Partitioning Redshift
    Spectrum external tables" (ALTER TABLE ... ADD PARTITION); the table lands in the Glue Data Catalog and
    SVV_EXTERNAL_SCHEMAS / SVV_EXTERNAL_TABLES / SVV_EXTERNAL_COLUMNS show it."""
    data, cluster, bucket = redshift["data"], redshift["cluster"], redshift["bucket"]
    s3, glue = aws.client("s3"), aws.client("glue")
    s3.put_object(Bucket=bucket, Key="spectrum/sales/part-0.txt", Body=b"1\t10\t2008-01-05\n2\t3\t2008-02-11\n")
    s3.put_object(Bucket=bucket, Key="spectrum/sales_part/saledate=2008-01/p.txt", Body=b"1\t4\n2\t6\n")
    database = f"spectrumdb_{uuid.uuid4().hex[:6]}"
    run(data, cluster, f"create external schema spectrum from data catalog database '{database}' "
                       f"iam_role '{ROLE}' create external database if not exists")
    run(data, cluster, f"create external table spectrum.sales(salesid integer, qtysold smallint, saletime date) "
                       f"row format delimited fields terminated by '\\t' stored as textfile "
                       f"location 's3://{bucket}/spectrum/sales/' table properties ('numRows'='2')")
    table = glue.get_table(DatabaseName=database, Name="sales")["Table"]
    assert table["TableType"] == "EXTERNAL_TABLE" and table["Parameters"]["numRows"] == "2"
    assert [(c["Name"], c["Type"]) for c in table["StorageDescriptor"]["Columns"]] == [
        ("salesid", "int"), ("qtysold", "smallint"), ("saletime", "date")]
    assert table["StorageDescriptor"]["SerdeInfo"]["Parameters"]["field.delim"] == "\t"
    run(data, cluster, "create table local_sales_target (salesid int, target int)")
    run(data, cluster, "insert into local_sales_target values (1, 12), (2, 1)")
    joined = rows(data, cluster, "select s.salesid, s.qtysold, t.target from spectrum.sales s "
                                 "join local_sales_target t on s.salesid = t.salesid order by 1")
    assert joined == [{"salesid": 1, "qtysold": 10, "target": 12}, {"salesid": 2, "qtysold": 3, "target": 1}]
    run(data, cluster, "create table local_sales (salesid int, qtysold int)")
    copied = run(data, cluster, "insert into local_sales select salesid, qtysold from spectrum.sales")
    assert copied["ResultRows"] == 2
    assert rows(data, cluster, "select sum(qtysold) as qty from local_sales") == [{"qty": 13}]
    run(data, cluster, f"create external table spectrum.sales_part(salesid integer, qtysold smallint) "
                       f"partitioned by (saledate char(7)) row format delimited fields terminated by '\\t' "
                       f"location 's3://{bucket}/spectrum/sales_part/'")
    run(data, cluster, f"alter table spectrum.sales_part add if not exists partition (saledate='2008-01') "
                       f"location 's3://{bucket}/spectrum/sales_part/saledate=2008-01/'")
    assert [p["Values"] for p in glue.get_partitions(DatabaseName=database, TableName="sales_part")["Partitions"]] \
        == [["2008-01"]]
    assert rows(data, cluster, "select sum(qtysold) as qty from spectrum.sales_part where saledate = '2008-01'") \
        == [{"qty": 10}]
    schemas = rows(data, cluster, "select schemaname, databasename from svv_external_schemas")
    assert {"schemaname": "spectrum", "databasename": database} in schemas
    tables = rows(data, cluster, "select tablename, location from svv_external_tables where schemaname = 'spectrum' "
                                 "order by tablename")
    assert tables == [{"tablename": "sales", "location": f"s3://{bucket}/spectrum/sales/"},
                      {"tablename": "sales_part", "location": f"s3://{bucket}/spectrum/sales_part/"}]
    keys = rows(data, cluster, "select columnname, part_key from svv_external_columns "
                               "where tablename = 'sales_part' order by columnnum")
    assert keys == [{"columnname": "salesid", "part_key": 0}, {"columnname": "qtysold", "part_key": 0},
                    {"columnname": "saledate", "part_key": 1}]
    run(data, cluster, "drop table spectrum.sales")
    with pytest.raises(ClientError) as exc:
        glue.get_table(DatabaseName=database, Name="sales")
    assert exc.value.response["Error"]["Code"] == "EntityNotFoundException"


def test_unload_formats_manifest_and_cleanpath(aws, redshift):
    """Source: Redshift Database Developer Guide, "UNLOAD" and "UNLOAD examples" (FORMAT JSON, CSV HEADER with
    MANIFEST VERBOSE, ADDQUOTES, CLEANPATH, EXTENSION), the Data API sample's UNLOAD ... FORMAT PARQUET
    ALLOWOVERWRITE PARTITION BY (PICKUP_MONTH) with an upper-case column name, and the date function pages (DATEADD /
    DATEDIFF on literals, CHARINDEX, JSON_EXTRACT_PATH_TEXT)."""
    data, cluster, bucket = redshift["data"], redshift["cluster"], redshift["bucket"]
    s3 = aws.client("s3")
    run(data, cluster, "create table unload_src (id int, name varchar(10), sold date)")
    run(data, cluster, "insert into unload_src values (1, 'a', '2024-01-31'), (2, null, '2024-02-29')")
    run(data, cluster, f"unload ('select * from unload_src order by id') to 's3://{bucket}/unload/json/' "
                       f"iam_role '{ROLE}' format json")
    body = s3.get_object(Bucket=bucket, Key="unload/json/0000_part_00")["Body"].read().decode()
    assert [json.loads(line) for line in body.splitlines()] == [{"id": 1, "name": "a", "sold": "2024-01-31"},
                                                                {"id": 2, "name": None, "sold": "2024-02-29"}]
    run(data, cluster, f"unload ('select id, name from unload_src order by id') to 's3://{bucket}/unload/csv/src_' "
                       f"iam_role '{ROLE}' csv header extension 'csv' parallel off manifest verbose")
    assert s3.get_object(Bucket=bucket, Key="unload/csv/src_0000_part_00.csv")["Body"].read() == b"id,name\n1,a\n2,\n"
    manifest = json.loads(s3.get_object(Bucket=bucket, Key="unload/csv/src_manifest")["Body"].read())
    assert manifest["entries"][0]["url"] == f"s3://{bucket}/unload/csv/src_0000_part_00.csv"
    assert manifest["entries"][0]["meta"]["record_count"] == 2 and manifest["meta"]["record_count"] == 2
    assert [e["name"] for e in manifest["schema"]["elements"]] == ["id", "name"]
    run(data, cluster, f"unload ('select id from unload_src where id = 1') to 's3://{bucket}/unload/json/' "
                       f"iam_role '{ROLE}' delimiter ',' addquotes cleanpath")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="unload/json/")["Contents"]]
    assert keys == ["unload/json/0000_part_00"]
    assert s3.get_object(Bucket=bucket, Key=keys[0])["Body"].read() == b'"1"\n'
    run(data, cluster, "unload ('select * from unload_src where sold = ''2024-01-31'' ') "
                       f"to 's3://{bucket}/unload/by/' iam_role '{ROLE}' FORMAT PARQUET ALLOWOVERWRITE "
                       "PARTITION BY (SOLD); ")
    assert [o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix="unload/by/")["Contents"]] == [
        "unload/by/sold=2024-01-31/0000_part_00.parquet"]
    dates = rows(data, cluster, "select dateadd(day, 1, '2024-02-28')::date as next_day, "
                                "datediff(day, '2024-01-01', '2024-03-01') as days, charindex('b', 'abc') as pos, "
                                "json_extract_path_text('{\"a\": {\"b\": \"x\"}}', 'a', 'b') as path")
    assert [{k: str(v) for k, v in r.items()} for r in dates] == [
        {"next_day": "2024-02-29", "days": "60", "pos": "2", "path": "x"}]


def test_redshift_serverless_namespace_workgroup_and_data_api(aws):
    """Source: Amazon Redshift Management Guide, "Amazon Redshift Serverless" getting started with the API
    (CreateNamespace, CreateWorkgroup, GetWorkgroup's endpoint, GetCredentials) and "Using the Amazon Redshift
    Data API" with WorkgroupName; a namespace holds one workgroup and cannot be deleted while it has one."""
    serverless, data = aws.client("redshift-serverless"), aws.client("redshift-data")
    suffix = uuid.uuid4().hex[:6]
    namespace, workgroup = f"docs-ns-{suffix}", f"docs-wg-{suffix}"
    created = serverless.create_namespace(namespaceName=namespace, adminUsername="admin",
                                          adminUserPassword="Sandbox-Passw0rd1", dbName="dev")["namespace"]
    assert created["status"] == "AVAILABLE" and created["namespaceArn"].startswith("arn:aws:redshift-serverless:")
    group = serverless.create_workgroup(workgroupName=workgroup, namespaceName=namespace,
                                        baseCapacity=8)["workgroup"]
    assert group["endpoint"]["port"] == 5439 and group["baseCapacity"] == 8
    assert serverless.get_workgroup(workgroupName=workgroup)["workgroup"]["status"] == "AVAILABLE"
    assert workgroup in [w["workgroupName"] for w in serverless.list_workgroups()["workgroups"]]
    assert serverless.get_credentials(workgroupName=workgroup, dbName="dev")["dbPassword"]
    statement = data.execute_statement(WorkgroupName=workgroup, Database="dev", Sql="select 40 + 2 as answer")
    assert wait(data, statement["Id"])["Status"] == "FINISHED"
    assert data.get_statement_result(Id=statement["Id"])["Records"] == [[{"longValue": 42}]]
    assert [s["Id"] for s in data.list_statements(WorkgroupName=workgroup)["Statements"]] == [statement["Id"]]
    for call, code in ((lambda: serverless.create_namespace(namespaceName=namespace), "ConflictException"),
                       (lambda: serverless.create_workgroup(workgroupName=f"other-{suffix}", namespaceName=namespace),
                        "ConflictException"),
                       (lambda: serverless.create_workgroup(workgroupName=f"odd-{suffix}", namespaceName=namespace,
                                                            baseCapacity=10), "ValidationException"),
                       (lambda: serverless.delete_namespace(namespaceName=namespace), "ConflictException"),
                       (lambda: serverless.get_workgroup(workgroupName=f"none-{suffix}"), "ResourceNotFoundException"),
                       (lambda: data.execute_statement(WorkgroupName=f"none-{suffix}", Database="dev", Sql="select 1"),
                        "ValidationException")):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == code
    assert serverless.delete_workgroup(workgroupName=workgroup)["workgroup"]["status"] == "DELETING"
    serverless.delete_namespace(namespaceName=namespace)
    with pytest.raises(ClientError) as exc:
        serverless.get_namespace(namespaceName=namespace)
    assert exc.value.response["Error"]["Code"] == "ResourceNotFoundException"



def test_emr_script_runner_command_runner_and_termination(aws):
    """Source: Amazon EMR Management Guide, "Run commands and scripts on an Amazon EMR cluster" (script-runner.jar
    with a script from S3, command-runner.jar with bash), "Step failure" (ActionOnFailure CONTINUE, FailureDetails)
    and "Terminate a cluster" (TerminateJobFlows ends the running step and cancels the pending ones; the cluster's
    StateChangeReason Code says why it ended: USER_REQUEST, STEP_FAILURE with TERMINATE_CLUSTER)."""
    emr, s3 = aws.client("emr"), aws.client("s3")
    bucket = f"emr-docs-{uuid.uuid4().hex[:8]}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="scripts/my-script.sh",
                  Body=b"#!/bin/bash\necho \"processing $1\"\naws s3 cp - s3://$2/output/done.txt <<< \"done $1\"\n")
    cluster = emr.run_job_flow(
        Name="docs-scripts", ReleaseLabel="emr-7.1.0", LogUri=f"s3://{bucket}/logs/", Applications=[{"Name": "Spark"}],
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": True})[
        "JobFlowId"]
    script_step, failing_step = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[
        {"Name": "script", "ActionOnFailure": "CONTINUE",
         "HadoopJarStep": {"Jar": "s3://us-east-1.elasticmapreduce/libs/script-runner/script-runner.jar",
                           "Args": [f"s3://{bucket}/scripts/my-script.sh", "batch-7", bucket]}},
        {"Name": "failing", "ActionOnFailure": "CONTINUE",
         "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["bash", "-c", "echo oops >&2; exit 3"]}}])["StepIds"]
    assert _step(emr, cluster, script_step)["Status"]["State"] == "COMPLETED"
    assert s3.get_object(Bucket=bucket, Key="output/done.txt")["Body"].read() == b"done batch-7\n"
    failed = _step(emr, cluster, failing_step)["Status"]
    assert failed["State"] == "FAILED" and failed["FailureDetails"]["LogFile"].endswith("/stderr.gz")
    running, pending = emr.add_job_flow_steps(JobFlowId=cluster, Steps=[
        {"Name": "long", "ActionOnFailure": "CONTINUE",
         "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["bash", "-c", "sleep 60"]}},
        {"Name": "never", "ActionOnFailure": "CONTINUE",
         "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["bash", "-c", "true"]}}])["StepIds"]
    deadline = time.monotonic() + 30
    while emr.describe_step(ClusterId=cluster, StepId=running)["Step"]["Status"]["State"] != "RUNNING":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    emr.terminate_job_flows(JobFlowIds=[cluster])
    assert _step(emr, cluster, running)["Status"]["State"] == "CANCELLED"
    assert _step(emr, cluster, pending)["Status"]["State"] == "CANCELLED"
    status = emr.describe_cluster(ClusterId=cluster)["Cluster"]["Status"]
    assert status["State"] == "TERMINATED" and status["StateChangeReason"]["Code"] == "USER_REQUEST"
    transient = emr.run_job_flow(
        Name="docs-transient", ReleaseLabel="emr-7.1.0", Applications=[{"Name": "Spark"}],
        JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole",
        Instances={"MasterInstanceType": "m5.xlarge", "InstanceCount": 1, "KeepJobFlowAliveWhenNoSteps": False},
        Steps=[{"Name": "only", "ActionOnFailure": "TERMINATE_CLUSTER",
                "HadoopJarStep": {"Jar": "command-runner.jar", "Args": ["bash", "-c", "exit 1"]}}])["JobFlowId"]
    deadline = time.monotonic() + 30
    while emr.describe_cluster(ClusterId=transient)["Cluster"]["Status"]["State"] not in ("TERMINATED",
                                                                                         "TERMINATED_WITH_ERRORS"):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    status = emr.describe_cluster(ClusterId=transient)["Cluster"]["Status"]
    assert (status["State"], status["StateChangeReason"]["Code"]) == ("TERMINATED_WITH_ERRORS", "STEP_FAILURE")


def test_batch_array_job_dependencies(aws):
    """Source: AWS Batch user guide, "Array jobs" and "Tutorial: Using the array job index to control job
    differentiation": a SEQUENTIAL array job runs its children one after another, an N_TO_N dependency makes
    child i wait for child i of the other array job, each child knows AWS_BATCH_JOB_ARRAY_INDEX and shows
    arrayProperties.index, and the parent's status follows its children; ListJobs without jobStatus lists
    RUNNING jobs only (ListJobs API reference)."""
    batch, logs = aws.client("batch"), aws.client("logs")
    name = f"arrays-{uuid.uuid4().hex[:6]}"
    batch.create_compute_environment(computeEnvironmentName=name, type="UNMANAGED")
    batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}])
    definition = batch.register_job_definition(
        jobDefinitionName=name, type="container",
        containerProperties={"image": "busybox", "vcpus": 1, "memory": 128,
                             "environment": [{"name": "STAGE", "value": "defined"}],
                             "command": ["sh", "-c", "echo $STAGE $AWS_BATCH_JOB_ARRAY_INDEX"]})["jobDefinitionArn"]
    first = batch.submit_job(jobName="first", jobQueue=name, jobDefinition=definition, arrayProperties={"size": 3},
                             dependsOn=[{"type": "SEQUENTIAL"}],
                             containerOverrides={"environment": [{"name": "STAGE", "value": "first"}]})["jobId"]
    second = batch.submit_job(jobName="second", jobQueue=name, jobDefinition=definition, arrayProperties={"size": 3},
                              dependsOn=[{"jobId": first, "type": "N_TO_N"}])["jobId"]
    assert _batch_job(batch, second)["status"] == "SUCCEEDED"
    parent = _batch_job(batch, first)
    assert parent["arrayProperties"]["statusSummary"]["SUCCEEDED"] == 3
    children = {f"{first}:{i}": batch.describe_jobs(jobs=[f"{first}:{i}"])["jobs"][0] for i in range(3)}
    assert [c["arrayProperties"] for c in children.values()] == [{"index": 0}, {"index": 1}, {"index": 2}]
    started = [c["startedAt"] for c in children.values()]
    assert started[0] <= children[f"{first}:0"]["stoppedAt"] <= started[1] <= started[2]
    for i in range(3):
        partner = batch.describe_jobs(jobs=[f"{second}:{i}"])["jobs"][0]
        assert partner["startedAt"] >= children[f"{first}:{i}"]["stoppedAt"]
    child = children[f"{first}:1"]
    assert child["container"]["environment"] == [{"name": "STAGE", "value": "first"}]
    events = logs.get_log_events(logGroupName="/aws/batch/job", logStreamName=child["container"]["logStreamName"])
    assert [e["message"] for e in events["events"]] == ["first 1"]
    summaries = batch.list_jobs(arrayJobId=first, jobStatus="SUCCEEDED")["jobSummaryList"]
    assert sorted(s["arrayProperties"]["index"] for s in summaries) == [0, 1, 2]
    assert batch.list_jobs(arrayJobId=first)["jobSummaryList"] == []  # without jobStatus: RUNNING jobs only


def test_cluster_snapshots_hold_the_data_and_cluster_rules(aws):
    """Source: Amazon Redshift Management Guide, "Amazon Redshift snapshots and backups" (a cluster restored from
    a manual snapshot has the snapshot's tables; DeleteCluster needs FinalClusterSnapshotIdentifier unless
    SkipFinalClusterSnapshot) and the CreateCluster reference (MasterUserPassword rules, multi-node needs
    NumberOfNodes >= 2)."""
    redshift, data = aws.client("redshift"), aws.client("redshift-data")
    suffix = uuid.uuid4().hex[:6]
    source, restored = f"snap-src-{suffix}", f"snap-dst-{suffix}"
    redshift.create_cluster(ClusterIdentifier=source, NodeType="ra3.xlplus", ClusterType="single-node",
                            MasterUsername="awsuser", MasterUserPassword="Sandbox-Passw0rd")
    run(data, source, "create table kept (id int)")
    run(data, source, "insert into kept values (1), (2), (3)")
    redshift.create_cluster_snapshot(SnapshotIdentifier=f"manual-{suffix}", ClusterIdentifier=source)
    run(data, source, "insert into kept values (4)")
    redshift.restore_from_cluster_snapshot(ClusterIdentifier=restored, SnapshotIdentifier=f"manual-{suffix}")
    assert rows(data, restored, "select count(*) from kept") == [{"count": 3}]
    with pytest.raises(ClientError) as exc:
        redshift.delete_cluster(ClusterIdentifier=restored)
    assert exc.value.response["Error"]["Code"] == "InvalidParameterCombination"
    deleted = redshift.delete_cluster(ClusterIdentifier=restored, SkipFinalClusterSnapshot=True)["Cluster"]
    assert deleted["ClusterStatus"] == "deleting"
    redshift.create_cluster(ClusterIdentifier=restored, NodeType="ra3.xlplus", ClusterType="single-node",
                            MasterUsername="awsuser", MasterUserPassword="Sandbox-Passw0rd")
    assert "does not exist" in fails(data, restored, "select count(*) from kept")
    for extra in ({"ClusterType": "single-node", "MasterUserPassword": "short"},
                  {"ClusterType": "multi-node", "MasterUserPassword": "Sandbox-Passw0rd"}):
        with pytest.raises(ClientError) as exc:
            redshift.create_cluster(ClusterIdentifier=f"bad-{suffix}", NodeType="ra3.xlplus", MasterUsername="awsuser",
                                    **extra)
        assert exc.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_copy_with_a_manifest_and_text_options(aws, redshift):
    """Source: Redshift Database Developer Guide, "Using a manifest to specify data files" (COPY ... MANIFEST, a
    missing mandatory file fails) and "Data conversion parameters" (FILLRECORD, NULL AS, REMOVEQUOTES)."""
    data, cluster, bucket = redshift["data"], redshift["cluster"], redshift["bucket"]
    s3 = aws.client("s3")
    s3.put_object(Bucket=bucket, Key="manifest/part-a.txt", Body=b'1|"Anna"|NA\n2|Ben\n')
    s3.put_object(Bucket=bucket, Key="manifest/part-b.txt", Body=b'3|"Cleo"|9\n')
    s3.put_object(Bucket=bucket, Key="manifest/ignored.txt", Body=b"99|never|0\n")
    entries = [{"url": f"s3://{bucket}/manifest/part-a.txt", "mandatory": True},
               {"url": f"s3://{bucket}/manifest/part-b.txt", "mandatory": True},
               {"url": f"s3://{bucket}/manifest/optional-missing.txt", "mandatory": False}]
    s3.put_object(Bucket=bucket, Key="manifest/load.manifest", Body=json.dumps({"entries": entries}).encode())
    run(data, cluster, "create table people (id int, name varchar(20), score int)")
    loaded = run(data, cluster, f"copy people from 's3://{bucket}/manifest/load.manifest' iam_role '{ROLE}' "
                                "manifest delimiter '|' fillrecord null as 'NA' removequotes")
    assert loaded["ResultRows"] == 3
    assert rows(data, cluster, "select id, name, score from people order by id") == [
        {"id": 1, "name": "Anna", "score": None}, {"id": 2, "name": "Ben", "score": None},
        {"id": 3, "name": "Cleo", "score": 9}]
    entries[2]["mandatory"] = True
    s3.put_object(Bucket=bucket, Key="manifest/strict.manifest", Body=json.dumps({"entries": entries}).encode())
    error = fails(data, cluster, f"copy people from 's3://{bucket}/manifest/strict.manifest' iam_role '{ROLE}' "
                                 "manifest delimiter '|' fillrecord")
    assert "optional-missing.txt" in error


def test_batch_queue_and_environment_teardown_order(aws):
    """Source: AWS Batch API reference, UpdateJobQueue / DeleteJobQueue / DeleteComputeEnvironment (a DISABLED
    queue accepts no new jobs; a queue is deleted once DISABLED; a compute environment once DISABLED and no
    longer in a queue)."""
    batch = aws.client("batch")
    name = f"teardown-{uuid.uuid4().hex[:6]}"
    batch.create_compute_environment(computeEnvironmentName=name, type="UNMANAGED")
    batch.create_job_queue(jobQueueName=name, state="ENABLED", priority=1,
                           computeEnvironmentOrder=[{"order": 1, "computeEnvironment": name}])
    definition = batch.register_job_definition(jobDefinitionName=name, type="container", containerProperties={
        "image": "busybox", "vcpus": 1, "memory": 128, "command": ["true"]})["jobDefinitionArn"]

    def refused(call):
        with pytest.raises(ClientError) as exc:
            call()
        assert exc.value.response["Error"]["Code"] == "ClientException"

    refused(lambda: batch.delete_job_queue(jobQueue=name))
    batch.update_job_queue(jobQueue=name, state="DISABLED")
    refused(lambda: batch.submit_job(jobName="late", jobQueue=name, jobDefinition=definition))
    batch.update_compute_environment(computeEnvironment=name, state="DISABLED")
    refused(lambda: batch.delete_compute_environment(computeEnvironment=name))  # still in the queue
    batch.delete_job_queue(jobQueue=name)
    batch.delete_compute_environment(computeEnvironment=name)
    assert batch.describe_compute_environments(computeEnvironments=[name])["computeEnvironments"] == []


def test_data_api_with_event_reaches_eventbridge(aws, redshift):
    """Source: Amazon Redshift Management Guide, "Monitoring events for the Amazon Redshift Data API": with
    WithEvent=True a "Redshift Data Statement Status Change" event (source aws.redshift-data) goes to the default
    event bus when the statement ends, naming its id and state."""
    events, sqs = aws.client("events"), aws.client("sqs")
    queue = sqs.create_queue(QueueName=f"statement-events-{uuid.uuid4().hex[:6]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"statements-{uuid.uuid4().hex[:6]}"
    events.put_rule(Name=rule, EventPattern=json.dumps({"source": ["aws.redshift-data"],
                                                        "detail-type": ["Redshift Data Statement Status Change"]}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": arn}])
    statement = run(redshift["data"], redshift["cluster"], "select 1 as one", WithEvent=True,
                    StatementName="with-event")
    deadline, received = time.monotonic() + 20, []
    while not received and time.monotonic() < deadline:
        received = sqs.receive_message(QueueUrl=queue, WaitTimeSeconds=1).get("Messages", [])
    assert received, "no status change event"
    event = json.loads(received[0]["Body"])
    assert event["source"] == "aws.redshift-data" and event["resources"][0].endswith(f":cluster:{redshift['cluster']}")
    assert event["detail"]["statementId"] == statement["Id"] and event["detail"]["state"] == "FINISHED"
    assert event["detail"]["statementName"] == "with-event"
    events.remove_targets(Rule=rule, Ids=["queue"])
    events.delete_rule(Name=rule)


def test_data_api_sessions_keep_temporary_tables(redshift):
    """Source: Amazon Redshift Management Guide, "Using the Amazon Redshift Data API" (SessionKeepAliveSeconds
    returns a SessionId; later statements name only the SessionId and see the session's temporary table;
    Parameters are :name placeholders outside string literals, usable in arithmetic and LIMIT)."""
    data, cluster = redshift["data"], redshift["cluster"]
    first = data.execute_statement(ClusterIdentifier=cluster, Database="dev", DbUser="awsuser",
                                   Sql="create temp table session_scratch (id int)", SessionKeepAliveSeconds=300)
    assert first["SessionId"] and wait(data, first["Id"])["Status"] == "FINISHED"
    insert = data.execute_statement(SessionId=first["SessionId"], Sql="insert into session_scratch values (7)")
    assert wait(data, insert["Id"])["Status"] == "FINISHED"
    select = data.execute_statement(SessionId=first["SessionId"], Sql="select id from session_scratch")
    described = wait(data, select["Id"])
    assert described["Status"] == "FINISHED" and described["SessionId"] == first["SessionId"]
    assert described["RedshiftQueryId"] > wait(data, insert["Id"])["RedshiftQueryId"] > 0
    assert data.get_statement_result(Id=select["Id"])["Records"] == [[{"longValue": 7}]]
    bound = run(data, cluster, "select :amount + 1 as total, ':amount' as text, :code as code limit :n",
                Parameters=[{"name": "amount", "value": "41"}, {"name": "code", "value": "02134"},
                            {"name": "n", "value": "1"}])
    assert data.get_statement_result(Id=bound["Id"])["Records"] == [
        [{"longValue": 42}, {"stringValue": ":amount"}, {"stringValue": "02134"}]]
    for extra in ({"SessionId": "00000000-0000-0000-0000-000000000000"},
                  {"SessionId": first["SessionId"], "ClusterIdentifier": cluster}):
        with pytest.raises(ClientError) as exc:
            data.execute_statement(Sql="select 1", **extra)
        assert exc.value.response["Error"]["Code"] == "ValidationException"


def test_table_design_changes_and_maintenance(redshift):
    """Source: Redshift Database Developer Guide, "ALTER TABLE" (ALTER DISTSTYLE KEY DISTKEY, ALTER SORTKEY,
    RENAME TO), "VACUUM" (FULL ... TO 99 PERCENT, DELETE ONLY, SORT ONLY), "ANALYZE" (PREDICATE COLUMNS) and
    "DATE_PART" (an unquoted date part); GETDATE() is a timestamp without time zone."""
    data, cluster = redshift["data"], redshift["cluster"]
    run(data, cluster, "create table design (a int, b varchar(10)) diststyle even")
    run(data, cluster, "insert into design values (1, 'x'), (2, 'y')")
    run(data, cluster, "alter table design alter diststyle key distkey a")
    run(data, cluster, "alter table design alter compound sortkey (b, a)")
    for sql in ("vacuum full design to 99 percent", "vacuum delete only design", "vacuum sort only design",
                "analyze design predicate columns"):
        run(data, cluster, sql)
    run(data, cluster, "alter table design rename to design_v2")
    assert rows(data, cluster, "select diststyle, sortkey1, sortkey_num from svv_table_info "
                               "where \"table\" = 'design_v2'") == [{"diststyle": "KEY(a)", "sortkey1": "b",
                                                                      "sortkey_num": 2}]
    assert "not emulated" in fails(data, cluster, "analyze compression design_v2")
    stamp = rows(data, cluster, "select date_part(year, '2024-05-06'::date) as y, getdate()::varchar as now")[0]
    assert stamp["y"] == 2024 and "+" not in stamp["now"]


def test_serverless_quick_start_sample_flow(aws):
    """Source: aws-samples/getting-started-with-amazon-redshift-data-api, quick-start RedShiftServerlessDataAPI.py
    (CREATE TABLE IF NOT EXISTS public.region (...)diststyle all; COPY public.region ... delimiter '|' COMPUPDATE
    PRESET from a compressed file; UPDATE; DELETE; SELECT, all through WorkgroupName), with BZIP2 input; LZOP input
    fails saying so."""
    import bz2

    serverless, data, s3 = aws.client("redshift-serverless"), aws.client("redshift-data"), aws.client("s3")
    suffix = uuid.uuid4().hex[:6]
    serverless.create_namespace(namespaceName=f"qs-{suffix}", dbName="dev")
    serverless.create_workgroup(workgroupName=f"qs-{suffix}", namespaceName=f"qs-{suffix}")
    bucket = f"quick-start-{suffix}"
    s3.create_bucket(Bucket=bucket)
    s3.put_object(Bucket=bucket, Key="data/region/region.tbl.bz2", Body=bz2.compress(
        b"0|AFRICA|lar deposits\n1|AMERICA|hs use ironic\n2|ASIA|ges. thinly\n3|EUROPE|ly final courts\n"
        b"4|MIDDLE EAST|uickly special\n"))

    def statement(sql):
        described = wait(data, data.execute_statement(Database="dev", WorkgroupName=f"qs-{suffix}", Sql=sql)["Id"])
        return described

    for sql in ("CREATE TABLE IF NOT EXISTS public.region (R_REGIONKEY bigint NOT NULL,R_NAME varchar(25),"
                "R_COMMENT varchar(152))diststyle all;",
                f"COPY public.region FROM 's3://{bucket}/data/region/region.tbl.bz2' iam_role '{ROLE}' "
                "region 'us-east-1' bzip2 delimiter '|' COMPUPDATE PRESET;",
                "UPDATE public.region set r_regionkey = 5 where r_name ='AFRICA';",
                "DELETE From public.region where r_name = 'MIDDLE EAST';"):
        assert statement(sql)["Status"] == "FINISHED", sql
    selected = statement("SELECT r_regionkey,r_name from public.region;")
    records = data.get_statement_result(Id=selected["Id"])["Records"]
    assert sorted((r[0]["longValue"], r[1]["stringValue"]) for r in records) == [
        (1, "AMERICA"), (2, "ASIA"), (3, "EUROPE"), (5, "AFRICA")]
    failed = statement(f"COPY public.region FROM 's3://{bucket}/data/region/' iam_role '{ROLE}' lzop delimiter '|'")
    assert failed["Status"] == "FAILED" and "LZOP" in failed["Error"]


def test_tickit_sales_copy_with_timeformat(aws, redshift):
    """Source: Amazon Redshift Getting Started Guide, "Load data from Amazon S3" (the TICKIT sales table: COPY ...
    delimiter '\\t' timeformat 'MM/DD/YYYY HH:MI:SS') and "DATEFORMAT and TIMEFORMAT strings" (dateformat,
    'epochsecs'; 'auto' recognises MM/DD/YYYY)."""
    data, cluster, bucket = redshift["data"], redshift["cluster"], redshift["bucket"]
    aws.client("s3").put_object(Bucket=bucket, Key="tickit/sales_tab.txt", Body=(
        "1\t1\t36861\t21191\t7872\t1875\t4\t728.00\t109.20\t2/18/2008 02:36:48\n"
        "2\t4\t8117\t11498\t4337\t1983\t2\t76.00\t11.40\t6/6/2008 05:00:16\n").encode())
    aws.client("s3").put_object(Bucket=bucket, Key="tickit/dates.txt", Body=b"1|31.01.2024|1700000000\n")
    run(data, cluster, "create table tickit_sales(salesid integer not null, listid integer not null distkey, "
                       "sellerid integer not null, buyerid integer not null, eventid integer not null, "
                       "dateid smallint not null sortkey, qtysold smallint not null, pricepaid decimal(8,2), "
                       "commission decimal(8,2), saletime timestamp)")
    run(data, cluster, f"copy tickit_sales from 's3://{bucket}/tickit/sales_tab.txt' iam_role '{ROLE}' "
                       "delimiter '\\t' timeformat 'MM/DD/YYYY HH:MI:SS' region 'us-east-1'")
    assert rows(data, cluster, "select pg_last_copy_count()") == [{"pg_last_copy_count": 2}]
    loaded = rows(data, cluster, "select salesid, pricepaid, saletime from tickit_sales order by salesid")
    assert [(r["salesid"], r["pricepaid"], r["saletime"]) for r in loaded] == [
        (1, "728.00", "2008-02-18 02:36:48"), (2, "76.00", "2008-06-06 05:00:16")]
    run(data, cluster, "create table stamps (id int, day date, seen timestamp)")
    run(data, cluster, f"copy stamps from 's3://{bucket}/tickit/dates.txt' iam_role '{ROLE}' "
                       "dateformat 'DD.MM.YYYY' timeformat 'epochsecs'")
    assert rows(data, cluster, "select day, seen from stamps") == [{"day": "2024-01-31",
                                                                   "seen": "2023-11-14 22:13:20"}]


def test_cancel_statement_stops_a_running_query(redshift):
    """Source: Redshift Data API reference, CancelStatement: a running statement is ABORTED and stops; the
    database takes the next statement at once."""
    data, cluster = redshift["data"], redshift["cluster"]
    long_running = submit(data, cluster, "select count(*) from range(100000000000) a, range(10) b")
    deadline = time.monotonic() + 30
    while data.describe_statement(Id=long_running)["Status"] != "STARTED":
        assert time.monotonic() < deadline
        time.sleep(0.05)
    assert data.cancel_statement(Id=long_running)["Status"] is True
    assert wait(data, long_running, timeout=20)["Status"] == "ABORTED"
    assert rows(data, cluster, "select 1 as one") == [{"one": 1}]
