"""Athena answers both of its wire protocols.

botocore 1.44.18 moved Athena's model (``botocore/data/athena/2017-05-18/service-2.json``) from JSON 1.1
(``POST /`` with ``X-Amz-Target: AmazonAthena.<Operation>``) to REST-JSON (``POST /query-executions``,
``GET /query-executions/{QueryExecutionId}``, ``DELETE /tags/{ResourceARN}?TagKeys=..``). boto3, the AWS CLI,
PyAthena and awswrangler of this sandbox send the new form; a client built on an older botocore still sends
the old one. Both reach the same Athena.
"""

from __future__ import annotations

import json
import threading
import time

from tests.helpers.signed_http import json_call, send


def _old_client(endpoint, operation: str, **params):
    response = json_call(endpoint, "athena", f"AmazonAthena.{operation}", json.dumps(params))
    return response.status_code, response.headers, response.json()


def test_a_json_1_1_client_of_an_older_botocore_still_runs_queries(aws, cloud, s3_bucket):
    endpoint = cloud.endpoint
    status, headers, started = _old_client(
        endpoint, "StartQueryExecution", QueryString="SELECT 1 + 1 AS two",
        ResultConfiguration={"OutputLocation": f"s3://{s3_bucket}/old-client/"})
    assert status == 200, started
    assert headers["Content-Type"].startswith("application/x-amz-json-1.1")
    query_id = started["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while True:
        _, _, described = _old_client(endpoint, "GetQueryExecution", QueryExecutionId=query_id)
        state = described["QueryExecution"]["Status"]["State"]
        if state in ("SUCCEEDED", "FAILED", "CANCELLED") or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert state == "SUCCEEDED", described
    _, _, results = _old_client(endpoint, "GetQueryResults", QueryExecutionId=query_id, MaxResults=10)
    assert [d.get("VarCharValue") for d in results["ResultSet"]["Rows"][1]["Data"]] == ["2"]
    # the new-protocol client sees the same execution
    assert aws.client("athena").get_query_execution(QueryExecutionId=query_id)["QueryExecution"][
        "Status"]["State"] == "SUCCEEDED"

    status, headers, error = _old_client(endpoint, "GetQueryExecution", QueryExecutionId="no-such-query")
    assert status == 400 and error["__type"].endswith("InvalidRequestException"), error


def test_rest_json_labels_query_strings_and_errors(aws, cloud, unique_name):
    endpoint, athena = cloud.endpoint, aws.client("athena")
    athena.create_work_group(Name=unique_name, Configuration={})
    arn = f"arn:aws:athena:us-east-1:123456789012:workgroup/{unique_name}"
    # the ARN travels as one path label (its "/" and ":" percent-encoded), the tag keys as a repeated query
    athena.tag_resource(ResourceARN=arn, Tags=[{"Key": "team", "Value": "data"}, {"Key": "tier", "Value": "gold"}])
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == [
        {"Key": "team", "Value": "data"}, {"Key": "tier", "Value": "gold"}]
    athena.untag_resource(ResourceARN=arn, TagKeys=["team", "tier"])
    assert athena.list_tags_for_resource(ResourceARN=arn)["Tags"] == []
    assert unique_name in [w["Name"] for w in athena.list_work_groups(MaxResults=50)["WorkGroups"]]

    # what botocore would never send still gets REST-JSON's errors: code in x-amzn-ErrorType, 4xx
    bad_number = send(endpoint, "GET", "/query-executions?MaxResults=many", service="athena")
    assert bad_number.status_code == 400
    assert bad_number.headers["x-amzn-ErrorType"] == "SerializationException"
    assert bad_number.headers["Content-Type"] == "application/json"
    unknown = send(endpoint, "GET", "/no-such-resource", service="athena")
    assert unknown.status_code == 404 and unknown.headers["x-amzn-ErrorType"] == "UnknownOperationException"
    missing = send(endpoint, "GET", "/query-executions/no-such-query", service="athena")
    assert missing.status_code == 400 and missing.headers["x-amzn-ErrorType"] == "InvalidRequestException"
    assert "no-such-query" in missing.json()["Message"]


def test_a_json_1_1_request_is_validated_against_the_model_too(cloud):
    response = json_call(cloud.endpoint, "athena", "AmazonAthena.StartQueryExecution",
                         json.dumps({"QueryString": ""}))
    assert response.status_code == 400
    assert response.json()["__type"] == "ValidationException"
    assert "queryString" in response.json()["message"]


def test_get_query_result_stream_answers_arrow_ipc_whole_and_by_range(aws, cloud, s3_bucket):
    """Source: the API reference of GetQueryResultStream (botocore 1.44.18's Athena model): the results as an
    Apache Arrow IPC stream; ``Range: bytes=N-M`` gives HTTP 206 with that slice and ``Content-Range``."""
    import pyarrow as pa
    from botocore.exceptions import ClientError

    athena = aws.client("athena")
    query_id = athena.start_query_execution(
        QueryString="SELECT * FROM (VALUES (1, 'a', 2.5, DATE '2024-01-15', true), "
                    "(2, NULL, NULL, NULL, false)) AS t (id, name, score, day, ok)",
        ResultConfiguration={"OutputLocation": f"s3://{s3_bucket}/stream/"})["QueryExecutionId"]
    deadline = time.monotonic() + 60
    while athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] in (
            "QUEUED", "RUNNING") and time.monotonic() < deadline:
        time.sleep(0.1)

    whole = athena.get_query_result_stream(QueryExecutionId=query_id)
    assert whole["ContentType"] == "application/vnd.apache.arrow.stream" and whole["AcceptRanges"] == "bytes"
    data = whole["Body"].read()
    table = pa.ipc.open_stream(data).read_all()
    assert table.column_names == ["id", "name", "score", "day", "ok"]
    assert table.to_pylist()[0]["id"] == 1 and table.to_pylist()[0]["name"] == "a"
    assert table.column("ok").to_pylist() == [True, False] and table.column("name").to_pylist() == ["a", None]
    assert str(table.schema.field("day").type) == "date32[day]"

    part = athena.get_query_result_stream(QueryExecutionId=query_id, Range="bytes=0-9")
    assert part["ResponseMetadata"]["HTTPStatusCode"] == 206
    assert part["ContentRange"] == f"bytes 0-9/{len(data)}" and part["Body"].read() == data[:10]

    for bad in ({"QueryExecutionId": "no-such-query"}, {"QueryExecutionId": query_id, "Range": "bytes=999999-"}):
        try:
            athena.get_query_result_stream(**bad)
        except ClientError as error:
            assert error.response["Error"]["Code"] == "InvalidRequestException"
            assert error.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        else:
            raise AssertionError(f"{bad} was answered")


def test_athenas_own_operations_are_served_without_moto_and_reads_leave_the_state_clean(tmp_path):
    import boto3
    import pytest
    from botocore.exceptions import ClientError

    from tests.helpers.cloud import in_process_cloud

    with in_process_cloud(tmp_path / "state") as cloud:
        def client(service):
            return boto3.client(service, endpoint_url=cloud.endpoint_url, region_name="us-east-1",
                                aws_access_key_id="test", aws_secret_access_key="test")

        athena = client("athena")
        client("s3").create_bucket(Bucket="direct-results")
        output = {"OutputLocation": "s3://direct-results/q/"}
        first = athena.start_query_execution(QueryString="SELECT 1", ResultConfiguration=output)
        athena.get_query_execution(QueryExecutionId=first["QueryExecutionId"])

        def moto(environ, start_response):
            raise AssertionError(f"moto answered {environ.get('HTTP_X_AMZ_TARGET')}")

        cloud._moto_app = moto  # StartQueryExecution, GetQueryExecution, GetQueryResults: the provider's own
        marked = []  # the threads that marked the state changed (requests run on werkzeug's request threads)
        mark_dirty = cloud.store.mark_dirty
        cloud.store.mark_dirty = lambda *a, **k: (marked.append(threading.current_thread().name), mark_dirty(*a, **k))
        query_id = athena.start_query_execution(QueryString="SELECT 40 + 2 AS answer",
                                                ResultConfiguration=output)["QueryExecutionId"]
        assert any("process_request" in name for name in marked)  # a query started: the next snapshot keeps it
        deadline = time.monotonic() + 60
        while athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] != \
                "SUCCEEDED" and time.monotonic() < deadline:
            time.sleep(0.05)
        marked.clear()
        assert athena.get_query_execution(QueryExecutionId=query_id)["QueryExecution"]["Status"]["State"] == \
            "SUCCEEDED"
        rows = athena.get_query_results(QueryExecutionId=query_id)["ResultSet"]["Rows"]
        assert [d["VarCharValue"] for d in rows[1]["Data"]] == ["42"]
        with pytest.raises(ClientError) as missing:
            athena.get_query_execution(QueryExecutionId="no-such-query")
        assert missing.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        assert missing.value.response["Error"]["Code"] == "InvalidRequestException"
        assert not any("process_request" in name for name in marked)  # reads (GETs) change nothing
