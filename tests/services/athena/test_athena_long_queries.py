"""A long Athena statement leaves the sandbox answering, and StopQueryExecution stops it.

AWS: "StopQueryExecution - Stops a query execution" (Athena API reference); a cancelled query ends in the
CANCELLED state and a cancelled CREATE TABLE AS SELECT creates no table.
"""

from __future__ import annotations

import time

import pytest
from botocore.exceptions import ClientError

# 4 x 10^10 rows: a minute or more of DuckDB work, far longer than this test
RUNAWAY = ("SELECT sum(x * y) AS s FROM UNNEST(sequence(1, 200000)) AS a(x) "
           "CROSS JOIN UNNEST(sequence(1, 200000)) AS b(y)")


def _state(athena, qid: str) -> str:
    return athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]["State"]


def test_a_long_ctas_does_not_hold_other_requests_and_stop_cancels_it(aws):
    athena, s3, glue = aws.client("athena"), aws.client("s3"), aws.client("glue")
    s3.create_bucket(Bucket="athena-long-queries")
    output = "s3://athena-long-queries/results/"
    athena.start_query_execution(QueryString="CREATE DATABASE IF NOT EXISTS longq",
                                 ResultConfiguration={"OutputLocation": output})
    qid = athena.start_query_execution(
        QueryString=f"CREATE TABLE longq.runaway WITH (external_location = 's3://athena-long-queries/runaway/') "
                    f"AS {RUNAWAY}",
        QueryExecutionContext={"Database": "longq"},
        ResultConfiguration={"OutputLocation": output})["QueryExecutionId"]
    assert _state(athena, qid) == "RUNNING"
    # while it runs, writes go on and the snapshots they cause are taken: a CTAS that held the state lock made the
    # snapshot wait for it, and every request queue behind the snapshot until the CTAS ended
    for i in range(3):
        s3.put_object(Bucket="athena-long-queries", Key=f"other/{i}.txt", Body=b"x")
        glue.create_database(DatabaseInput={"Name": f"longq_other_{i}"})
        time.sleep(0.6)
    assert [o["Key"] for o in s3.list_objects_v2(Bucket="athena-long-queries", Prefix="other/")["Contents"]] == [
        "other/0.txt", "other/1.txt", "other/2.txt"]
    assert _state(athena, qid) == "RUNNING"

    athena.stop_query_execution(QueryExecutionId=qid)
    execution = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    assert execution["Status"]["State"] == "CANCELLED"
    # the sandbox goes on answering queries, and the cancelled CTAS never creates its table (the engine stopping is
    # tested in tests/unit/test_athena_engine.py)
    second = athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration={"OutputLocation": output})
    deadline = time.monotonic() + 60
    while _state(athena, second["QueryExecutionId"]) != "SUCCEEDED" and time.monotonic() < deadline:
        time.sleep(0.2)
    assert _state(athena, second["QueryExecutionId"]) == "SUCCEEDED"
    time.sleep(1)
    with pytest.raises(ClientError) as missing:
        glue.get_table(DatabaseName="longq", Name="runaway")
    assert missing.value.response["Error"]["Code"] == "EntityNotFoundException"
    assert "Contents" not in s3.list_objects_v2(Bucket="athena-long-queries", Prefix="runaway/")
    assert _state(athena, qid) == "CANCELLED"
