"""S3 listings by the rules of the S3 API reference, ListObjectsV2 and ListObjects
(https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjectsV2.html,
https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListObjects.html): keys and common prefixes sorted
together and counted together against MaxKeys, continuation tokens and markers that resume after the
last item shown, NextMarker only with a delimiter, a token the bucket did not give out refused with
InvalidArgument; and a bucket restored after a restart is listed whole by S3 and by Athena."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from tests.helpers.waiting import wait_for_status

NAMES = ["a/1", "a/2", "a/b/3", "a/b/4", "a/c/5", "b", "c/x", "d"]


def shown(response: dict) -> tuple[list[str], list[str]]:
    return ([o["Key"] for o in response.get("Contents", [])],
            [p["Prefix"] for p in response.get("CommonPrefixes", [])])


@pytest.fixture
def filled(aws, s3_bucket):
    s3 = aws.client("s3")
    for name in NAMES:
        s3.put_object(Bucket=s3_bucket, Key=name, Body=b"x")
    return s3, s3_bucket


def test_keys_and_common_prefixes_share_maxkeys_and_resume_after_the_last_one_shown(filled):
    s3, bucket = filled
    assert shown(s3.list_objects_v2(Bucket=bucket)) == (NAMES, [])
    assert shown(s3.list_objects_v2(Bucket=bucket, Delimiter="/")) == (["b", "d"], ["a/", "c/"])
    first = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/", MaxKeys=3)
    assert shown(first) == (["a/1", "a/2"], ["a/b/"])
    assert first["IsTruncated"] and first["KeyCount"] == 3
    rest = s3.list_objects_v2(Bucket=bucket, Prefix="a/", Delimiter="/", MaxKeys=3,
                              ContinuationToken=first["NextContinuationToken"])
    assert shown(rest) == ([], ["a/c/"]) and not rest["IsTruncated"]
    assert shown(s3.list_objects_v2(Bucket=bucket, StartAfter="a/b/3"))[0] == NAMES[3:]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
    assert [key for page in pages for key in shown(page)[0]] == NAMES


def test_list_objects_gives_next_marker_only_with_a_delimiter(filled):
    s3, bucket = filled
    page = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2)
    assert shown(page) == (["b"], ["a/"]) and page["NextMarker"] == "b"
    page = s3.list_objects(Bucket=bucket, Delimiter="/", MaxKeys=2, Marker=page["NextMarker"])
    assert shown(page) == (["d"], ["c/"]) and not page["IsTruncated"]
    page = s3.list_objects(Bucket=bucket, MaxKeys=3)
    assert page["IsTruncated"] and "NextMarker" not in page  # the client resumes after the last key
    pages = s3.get_paginator("list_objects").paginate(Bucket=bucket, PaginationConfig={"PageSize": 3})
    assert [key for page in pages for key in shown(page)[0]] == NAMES


def test_a_continuation_token_from_elsewhere_is_invalid_argument(filled):
    s3, bucket = filled
    with pytest.raises(ClientError) as caught:
        s3.list_objects_v2(Bucket=bucket, ContinuationToken="not-a-token")
    assert caught.value.response["Error"]["Code"] == "InvalidArgument"
    assert caught.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_deleted_keys_of_a_versioned_bucket_are_not_listed(aws, s3_bucket):
    s3 = aws.client("s3")
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_object(Bucket=s3_bucket, Key="folder/gone", Body=b"1")
    s3.put_object(Bucket=s3_bucket, Key="kept", Body=b"1")
    s3.delete_object(Bucket=s3_bucket, Key="folder/gone")
    assert shown(s3.list_objects_v2(Bucket=s3_bucket, Delimiter="/")) == (["kept"], [])


@pytest.mark.slow
def test_a_restored_bucket_is_listed_whole_by_s3_and_by_athena(restart_cloud):
    """A restart restores keys packed; Athena's table listing (the first to read them) and S3's listing
    both see every one."""
    s3, glue = restart_cloud.client("s3"), restart_cloud.client("glue")
    bucket, files = "restored-listing", 600  # more than two of the restore's chunks of keys
    s3.create_bucket(Bucket=bucket)
    for i in range(files):
        s3.put_object(Bucket=bucket, Key=f"events/part-{i:04d}.csv", Body=f"{i}\n".encode())
    glue.create_database(DatabaseInput={"Name": "restored_listing"})
    glue.create_table(DatabaseName="restored_listing", TableInput={
        "Name": "events", "TableType": "EXTERNAL_TABLE",
        "StorageDescriptor": {
            "Columns": [{"Name": "n", "Type": "int"}], "Location": f"s3://{bucket}/events/",
            "InputFormat": "org.apache.hadoop.mapred.TextInputFormat",
            "OutputFormat": "org.apache.hadoop.hive.ql.io.HiveIgnoreKeyTextOutputFormat",
            "SerdeInfo": {"SerializationLibrary": "org.apache.hadoop.hive.serde2.lazy.LazySimpleSerDe",
                          "Parameters": {"field.delim": ","}}}})
    restart_cloud.restart()
    s3, athena = restart_cloud.client("s3"), restart_cloud.client("athena")
    qid = athena.start_query_execution(
        QueryString="SELECT count(*), sum(n) FROM events", QueryExecutionContext={"Database": "restored_listing"},
        ResultConfiguration={"OutputLocation": f"s3://{bucket}/results/"})["QueryExecutionId"]
    state = wait_for_status(lambda: athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"],
                            "State", done=("SUCCEEDED", "FAILED", "CANCELLED"), timeout=60)
    assert state["State"] == "SUCCEEDED", state
    rows = athena.get_query_results(QueryExecutionId=qid)["ResultSet"]["Rows"]
    assert [d["VarCharValue"] for d in rows[1]["Data"]] == [str(files), str(sum(range(files)))]
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix="events/")
    assert sum(page["KeyCount"] for page in pages) == files
