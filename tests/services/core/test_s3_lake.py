"""The S3 data lake basics against the shared sandbox, with plain boto3."""

from __future__ import annotations

import pandas as pd
import pytest
from botocore.exceptions import ClientError

from sandbox import datasets, lake


def error_code(exc_info) -> str:
    return exc_info.value.response["Error"]["Code"]


@pytest.fixture
def kms_key(aws):
    return aws.client("kms").create_key(Description="test key")["KeyMetadata"]


def test_sse_kms_with_customer_key_shows_in_head_object(aws, s3_bucket, kms_key):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="k.txt", Body=b"x", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=kms_key["Arn"])
    head = s3.head_object(Bucket=s3_bucket, Key="k.txt")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == kms_key["Arn"]


def test_sse_kms_by_alias_and_default_aws_managed_key(aws, s3_bucket, kms_key):
    s3, kms = aws.client("s3"), aws.client("kms")
    kms.create_alias(AliasName=f"alias/{s3_bucket}", TargetKeyId=kms_key["KeyId"])
    s3.put_object(Bucket=s3_bucket, Key="a", Body=b"1", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=f"alias/{s3_bucket}")
    assert s3.head_object(Bucket=s3_bucket, Key="a")["SSEKMSKeyId"] == kms_key["Arn"]
    # no key id: the AWS managed key aws/s3, as on AWS
    s3.put_object(Bucket=s3_bucket, Key="b", Body=b"2", ServerSideEncryption="aws:kms")
    managed = s3.head_object(Bucket=s3_bucket, Key="b")["SSEKMSKeyId"]
    aliases = {a["AliasName"]: a.get("TargetKeyId") for a in kms.list_aliases()["Aliases"]}
    assert managed.endswith(aliases["alias/aws/s3"])


def test_sse_s3_and_bucket_default_encryption(aws, s3_bucket, kms_key):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="plain", Body=b"x", ServerSideEncryption="AES256")
    assert s3.head_object(Bucket=s3_bucket, Key="plain")["ServerSideEncryption"] == "AES256"
    s3.put_bucket_encryption(Bucket=s3_bucket, ServerSideEncryptionConfiguration={"Rules": [{
        "ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": kms_key["KeyId"]}}]})
    s3.put_object(Bucket=s3_bucket, Key="by-default", Body=b"y")
    head = s3.head_object(Bucket=s3_bucket, Key="by-default")
    assert head["ServerSideEncryption"] == "aws:kms"
    assert head["SSEKMSKeyId"] == kms_key["Arn"]


@pytest.mark.parametrize("bad_key", [
    "1234abcd-12ab-34cd-56ef-1234567890ab",
    "alias/does-not-exist",
    "arn:aws:kms:us-east-1:123456789012:key/1234abcd-12ab-34cd-56ef-1234567890ab",
])
def test_wrong_kms_key_is_an_aws_error_and_writes_nothing(aws, s3_bucket, bad_key):
    s3 = aws.client("s3")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket=s3_bucket, Key="secret", Body=b"x", ServerSideEncryption="aws:kms", SSEKMSKeyId=bad_key)
    assert error_code(exc) == "KMS.NotFoundException"
    assert exc.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert "Contents" not in s3.list_objects_v2(Bucket=s3_bucket)


def test_disabled_kms_key_is_refused(aws, s3_bucket, kms_key):
    aws.client("kms").disable_key(KeyId=kms_key["KeyId"])
    with pytest.raises(ClientError) as exc:
        aws.client("s3").put_object(Bucket=s3_bucket, Key="k", Body=b"x", ServerSideEncryption="aws:kms",
                                    SSEKMSKeyId=kms_key["KeyId"])
    assert error_code(exc) == "KMS.DisabledException"


def test_a_disabled_key_locks_its_data_in_kms_and_s3(aws, s3_bucket, kms_key):
    kms, s3 = aws.client("kms"), aws.client("s3")
    key_id = kms_key["KeyId"]
    blob = kms.encrypt(KeyId=key_id, Plaintext=b"secret")["CiphertextBlob"]
    s3.put_object(Bucket=s3_bucket, Key="locked.csv", Body=b"a,b\n", ServerSideEncryption="aws:kms",
                  SSEKMSKeyId=key_id)
    kms.disable_key(KeyId=key_id)
    for call in (lambda: kms.encrypt(KeyId=key_id, Plaintext=b"x"), lambda: kms.decrypt(CiphertextBlob=blob),
                 lambda: kms.generate_data_key(KeyId=key_id, KeySpec="AES_256")):
        with pytest.raises(ClientError) as exc:
            call()
        assert error_code(exc) == "DisabledException" and "is disabled" in exc.value.response["Error"]["Message"]
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=s3_bucket, Key="locked.csv")
    assert error_code(exc) == "KMS.DisabledException"
    assert s3.head_object(Bucket=s3_bucket, Key="locked.csv")["ServerSideEncryption"] == "aws:kms"

    kms.enable_key(KeyId=key_id)
    assert kms.decrypt(CiphertextBlob=blob)["Plaintext"] == b"secret"
    assert s3.get_object(Bucket=s3_bucket, Key="locked.csv")["Body"].read() == b"a,b\n"

    kms.schedule_key_deletion(KeyId=key_id, PendingWindowInDays=7)
    with pytest.raises(ClientError) as exc:
        kms.decrypt(CiphertextBlob=blob)
    assert error_code(exc) == "KMSInvalidStateException"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket=s3_bucket, Key="locked.csv")
    assert error_code(exc) == "KMS.KMSInvalidStateException"


def test_wrong_kms_key_in_multipart_upload(aws, s3_bucket):
    with pytest.raises(ClientError) as exc:
        aws.client("s3").create_multipart_upload(Bucket=s3_bucket, Key="big", ServerSideEncryption="aws:kms",
                                                 SSEKMSKeyId="alias/nope")
    assert error_code(exc) == "KMS.NotFoundException"


def test_missing_bucket(aws):
    s3 = aws.client("s3")
    with pytest.raises(ClientError) as exc:
        s3.put_object(Bucket="no-such-bucket-here", Key="k", Body=b"x")
    assert error_code(exc) == "NoSuchBucket"
    with pytest.raises(ClientError) as exc:
        s3.get_object(Bucket="no-such-bucket-here", Key="k")
    assert error_code(exc) == "NoSuchBucket"


@pytest.mark.parametrize("name", ["ab", "Upper-Case", "under_score", "-leading", "trailing-", "a..b", "192.168.1.1",
                                  "x" * 64])
def test_invalid_bucket_names(aws, name):
    with pytest.raises(ClientError) as exc:
        aws.client("s3").create_bucket(Bucket=name)
    assert error_code(exc) == "InvalidBucketName"


def test_missing_key(aws, s3_bucket):
    with pytest.raises(ClientError) as exc:
        aws.client("s3").get_object(Bucket=s3_bucket, Key="nope")
    assert error_code(exc) == "NoSuchKey"


def test_object_tags_round_trip(aws, s3_bucket):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="t", Body=b"x", Tagging="project=churn&pii=false")
    s3.put_object_tagging(Bucket=s3_bucket, Key="t", Tagging={"TagSet": [{"Key": "pii", "Value": "true"}]})
    assert s3.get_object_tagging(Bucket=s3_bucket, Key="t")["TagSet"] == [{"Key": "pii", "Value": "true"}]
    s3.copy_object(Bucket=s3_bucket, Key="t-copy", CopySource={"Bucket": s3_bucket, "Key": "t"})
    assert s3.get_object_tagging(Bucket=s3_bucket, Key="t-copy")["TagSet"] == [{"Key": "pii", "Value": "true"}]
    # untagged objects, and tags removed with an empty set, have none (the sandbox keeps no empty sets)
    s3.put_object(Bucket=s3_bucket, Key="plain", Body=b"x")
    s3.copy_object(Bucket=s3_bucket, Key="plain-copy", CopySource={"Bucket": s3_bucket, "Key": "plain"})
    s3.put_object_tagging(Bucket=s3_bucket, Key="t", Tagging={"TagSet": []})
    for key in ("plain", "plain-copy", "t"):
        assert s3.get_object_tagging(Bucket=s3_bucket, Key=key)["TagSet"] == []
    s3.put_object_tagging(Bucket=s3_bucket, Key="plain", Tagging={"TagSet": [{"Key": "a", "Value": "b"}]})
    assert s3.get_object_tagging(Bucket=s3_bucket, Key="plain")["TagSet"] == [{"Key": "a", "Value": "b"}]


@pytest.mark.slow
def test_partitioned_write_then_filtered_read_opens_only_matching_partitions(aws, s3_bucket, kms_key):
    frame = datasets.orders(2_000, days=10)
    ts = frame["order_ts"]
    frame = frame.assign(year=ts.dt.strftime("%Y"), month=ts.dt.strftime("%m"), day=ts.dt.strftime("%d"))
    uri = f"s3://{s3_bucket}/sales/"
    keys = lake.write_partitioned(aws, frame, uri, ["year", "month", "day"], sse="aws:kms",
                                  kms_key_id=kms_key["KeyId"], tags={"dataset": "sales"})
    assert len(keys) == 10 and all("/year=2024/month=01/day=" in k for k in keys)
    s3 = aws.client("s3")
    head = s3.head_object(Bucket=s3_bucket, Key=keys[0])
    assert head["ServerSideEncryption"] == "aws:kms" and head["SSEKMSKeyId"] == kms_key["Arn"]
    assert s3.get_object_tagging(Bucket=s3_bucket, Key=keys[0])["TagSet"] == [{"Key": "dataset", "Value": "sales"}]

    partitions = lake.list_partitions(aws, uri)
    assert partitions == [{"year": "2024", "month": "01", "day": f"{d:02d}"} for d in range(1, 11)]

    scan = lake.read_partitioned(aws, uri, filters={"day": ["03", "07"]})
    assert len(scan.files_read) == 2 and scan.files_total == 10
    assert all("day=03/" in k or "day=07/" in k for k in scan.files_read)
    got = scan.frame.sort_values("order_id").reset_index(drop=True)
    want = frame[frame["day"].isin(["03", "07"])].sort_values("order_id").reset_index(drop=True)
    pd.testing.assert_frame_equal(got[want.columns], want, check_dtype=False)
    assert scan.bytes_read < sum(o["Size"] for o in s3.list_objects_v2(Bucket=s3_bucket, Prefix="sales/")["Contents"])


@pytest.mark.slow
def test_filter_on_unknown_partition_column_is_a_clear_error(aws, s3_bucket):
    frame = pd.DataFrame({"k": ["a", "b"], "v": [1, 2]})
    lake.write_partitioned(aws, frame, f"s3://{s3_bucket}/t/", ["k"])
    with pytest.raises(ValueError, match="not partition columns"):
        lake.read_partitioned(aws, f"s3://{s3_bucket}/t/", filters={"nope": "x"})


def test_rewriting_a_partition_replaces_it(aws, s3_bucket):
    uri = f"s3://{s3_bucket}/t/"
    lake.write_partitioned(aws, pd.DataFrame({"k": ["a"], "v": [1]}), uri, ["k"])
    lake.write_partitioned(aws, pd.DataFrame({"k": ["a"], "v": [2]}), uri, ["k"])
    assert lake.read_partitioned(aws, uri).frame["v"].tolist() == [2]


def test_load_into_lake_layout(aws, s3_bucket):
    summary = datasets.load_into_lake(aws, s3_bucket, size="tiny", create_bucket=False)
    assert summary["orders"]["rows"] == 1_000 and summary["orders"]["files"] == 7
    keys = [o["Key"] for o in aws.client("s3").list_objects_v2(Bucket=s3_bucket)["Contents"]]
    assert "raw/customers/customers.csv" in keys and "raw/products/products.json" in keys
    assert any(k.startswith("raw/clickstream/dt=2024-01-01/") for k in keys)
    assert len(lake.list_partitions(aws, f"s3://{s3_bucket}/raw/orders/")) == 7


# --- bucket policies -----------------------------------------------------------------------------

def _encryption_policy(bucket: str) -> str:
    import json

    return json.dumps({"Version": "2012-10-17", "Statement": [
        {"Sid": "DenyUnencryptedUploads", "Effect": "Deny", "Principal": "*", "Action": "s3:PutObject",
         "Resource": f"arn:aws:s3:::{bucket}/*",
         "Condition": {"StringNotEquals": {"s3:x-amz-server-side-encryption": "aws:kms"}}},
        {"Sid": "DenyInsecureTransport", "Effect": "Deny", "Principal": "*", "Action": "s3:*",
         "Resource": [f"arn:aws:s3:::{bucket}", f"arn:aws:s3:::{bucket}/*"],
         "Condition": {"Bool": {"aws:SecureTransport": "false"}}},
    ]})


def test_deny_unencrypted_uploads_policy_checks_the_condition(aws, s3_bucket, kms_key):
    s3 = aws.client("s3")
    s3.put_bucket_policy(Bucket=s3_bucket, Policy=_encryption_policy(s3_bucket))
    try:
        s3.put_object(Bucket=s3_bucket, Key="ok", Body=b"x", ServerSideEncryption="aws:kms",
                      SSEKMSKeyId=kms_key["KeyId"])
        assert s3.get_object(Bucket=s3_bucket, Key="ok")["Body"].read() == b"x"
        with pytest.raises(ClientError) as err:
            s3.put_object(Bucket=s3_bucket, Key="plain", Body=b"x")
        assert error_code(err) == "AccessDenied"
        assert err.value.response["ResponseMetadata"]["HTTPStatusCode"] == 403
        with pytest.raises(ClientError) as err:
            s3.put_object(Bucket=s3_bucket, Key="sse-s3", Body=b"x", ServerSideEncryption="AES256")
        assert error_code(err) == "AccessDenied"
        # multipart: the upload carries the header, its parts inherit it
        upload = s3.create_multipart_upload(Bucket=s3_bucket, Key="mp", ServerSideEncryption="aws:kms",
                                            SSEKMSKeyId=kms_key["KeyId"])
        part = s3.upload_part(Bucket=s3_bucket, Key="mp", UploadId=upload["UploadId"], PartNumber=1, Body=b"y")
        s3.complete_multipart_upload(Bucket=s3_bucket, Key="mp", UploadId=upload["UploadId"],
                                     MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part["ETag"]}]})
        with pytest.raises(ClientError) as err:
            s3.create_multipart_upload(Bucket=s3_bucket, Key="mp2")
        assert error_code(err) == "AccessDenied"
        assert [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket)["Contents"]] == ["mp", "ok"]
    finally:
        s3.delete_bucket_policy(Bucket=s3_bucket)


def test_deny_delete_policy_and_malformed_policies(aws, s3_bucket):
    import json

    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="keep", Body=b"x")
    s3.put_bucket_policy(Bucket=s3_bucket, Policy=json.dumps({"Statement": [{
        "Effect": "Deny", "Principal": {"AWS": "*"}, "Action": ["s3:DeleteObject"],
        "Resource": f"arn:aws:s3:::{s3_bucket}/*"}]}))
    try:
        with pytest.raises(ClientError) as err:
            s3.delete_object(Bucket=s3_bucket, Key="keep")
        assert error_code(err) == "AccessDenied"
        s3.put_object(Bucket=s3_bucket, Key="other", Body=b"y")  # PutObject is not denied
        assert s3.get_object(Bucket=s3_bucket, Key="keep")["Body"].read() == b"x"
    finally:
        s3.delete_bucket_policy(Bucket=s3_bucket)
    for bad in ["not json", json.dumps({"Version": "2012-10-17"}),
                json.dumps({"Statement": [{"Effect": "Allow", "Action": "s3:GetObject",
                                           "Resource": f"arn:aws:s3:::{s3_bucket}/*"}]}),
                json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject",
                                           "Resource": "arn:aws:s3:::some-other-bucket/*"}]})]:
        with pytest.raises(ClientError) as err:
            s3.put_bucket_policy(Bucket=s3_bucket, Policy=bad)
        assert error_code(err) == "MalformedPolicy", bad
    # a refused policy leaves the bucket usable
    s3.put_object(Bucket=s3_bucket, Key="still-fine", Body=b"z")


# --- request validation --------------------------------------------------------------------------

def test_unknown_sse_algorithm_and_upload_id_are_aws_errors(aws, s3_bucket):
    s3 = aws.client("s3")
    with pytest.raises(ClientError) as err:
        s3.put_object(Bucket=s3_bucket, Key="k", Body=b"x", ServerSideEncryption="AES257")
    assert error_code(err) == "InvalidArgument"
    for call in (
        lambda: s3.complete_multipart_upload(Bucket=s3_bucket, Key="k", UploadId="nope",
                                             MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": '"x"'}]}),
        lambda: s3.upload_part(Bucket=s3_bucket, Key="k", UploadId="nope", PartNumber=1, Body=b"x"),
    ):
        with pytest.raises(ClientError) as err:
            call()
        assert error_code(err) == "NoSuchUpload"


def test_lifecycle_transition_minimums(aws, s3_bucket):
    s3 = aws.client("s3")

    def rule(transitions, expiration=None):
        r = {"ID": "r", "Status": "Enabled", "Filter": {"Prefix": "raw/"}, "Transitions": transitions}
        if expiration:
            r["Expiration"] = {"Days": expiration}
        return {"Rules": [r]}

    s3.put_bucket_lifecycle_configuration(Bucket=s3_bucket, LifecycleConfiguration=rule(
        [{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 90, "StorageClass": "GLACIER"}], 365))
    assert len(s3.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"][0]["Transitions"]) == 2
    for bad in (rule([{"Days": 7, "StorageClass": "STANDARD_IA"}]),
                rule([{"Days": 30, "StorageClass": "STANDARD_IA"}, {"Days": 45, "StorageClass": "GLACIER"}]),
                rule([{"Days": 90, "StorageClass": "GLACIER"}], 60)):
        with pytest.raises(ClientError) as err:
            s3.put_bucket_lifecycle_configuration(Bucket=s3_bucket, LifecycleConfiguration=bad)
        assert error_code(err) == "InvalidArgument"


# --- S3 Select -----------------------------------------------------------------------------------

def _select(s3, bucket, key, expression, input_serialization, output=None):
    response = s3.select_object_content(Bucket=bucket, Key=key, Expression=expression, ExpressionType="SQL",
                                        InputSerialization=input_serialization,
                                        OutputSerialization=output or {"JSON": {}})
    records, stats = b"", None
    for event in response["Payload"]:
        if "Records" in event:
            records += event["Records"]["Payload"]
        if "Stats" in event:
            stats = event["Stats"]["Details"]
    return records.decode(), stats


def test_s3_select_on_csv(aws, s3_bucket):
    import json

    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="people.csv",
                  Body=b"name,age,city\nann,31,Paris\nbob,25,Oslo\ncid,40,Paris\n")
    use = {"CSV": {"FileHeaderInfo": "USE"}}
    out, stats = _select(s3, s3_bucket, "people.csv",
                         "SELECT s.name FROM S3Object s WHERE s.city = 'Paris' AND CAST(s.age AS INT) > 35",
                         use, {"CSV": {}})
    assert out == "cid\n"
    assert stats["BytesScanned"] == 52 and stats["BytesReturned"] == 4
    out, _ = _select(s3, s3_bucket, "people.csv",
                     "SELECT count(*), AVG(CAST(s.age AS INT)) AS avg_age FROM S3Object s", use)
    assert json.loads(out) == {"_1": 3, "avg_age": 32.0}
    out, _ = _select(s3, s3_bucket, "people.csv", "SELECT * FROM S3Object LIMIT 1", use)
    assert json.loads(out) == {"name": "ann", "age": "31", "city": "Paris"}  # CSV fields are strings
    out, _ = _select(s3, s3_bucket, "people.csv", "SELECT s._1 FROM S3Object s", {"CSV": {"FileHeaderInfo": "IGNORE"}})
    assert [json.loads(line)["_1"] for line in out.splitlines()] == ["ann", "bob", "cid"]


def test_s3_select_on_gzip_json_and_parquet(aws, s3_bucket):
    import gzip
    import io
    import json

    import pyarrow as pa
    import pyarrow.parquet as pq

    s3 = aws.client("s3")
    lines = b'{"id":1,"addr":{"city":"Paris"}}\n{"id":2,"addr":{"city":"Oslo"}}\n'
    s3.put_object(Bucket=s3_bucket, Key="events.json.gz", Body=gzip.compress(lines))
    out, _ = _select(s3, s3_bucket, "events.json.gz", "SELECT s.id FROM S3Object s WHERE s.addr.city = 'Oslo'",
                     {"JSON": {"Type": "LINES"}, "CompressionType": "GZIP"})
    assert json.loads(out) == {"id": 2}
    buf = io.BytesIO()
    pq.write_table(pa.table({"id": [1, 2, 3], "amount": [1.5, 20.0, 7.25]}), buf)
    s3.put_object(Bucket=s3_bucket, Key="t.parquet", Body=buf.getvalue())
    out, _ = _select(s3, s3_bucket, "t.parquet", "SELECT sum(s.amount) AS total FROM S3Object s WHERE s.id > 1",
                     {"Parquet": {}})
    assert json.loads(out) == {"total": 27.25}


def test_s3_select_errors(aws, s3_bucket):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="a.csv", Body=b"a,b\n1,2\n")
    for expression, code in [("SELEC * FROM S3Object", "ParseUnexpectedToken"),
                             ("SELECT * FROM people", "ParseSelectMissingFrom"),
                             ("SELECT s.a FROM S3Object s WHERE s.a = = 1", "ParseUnexpectedToken")]:
        with pytest.raises(ClientError) as err:
            _select(s3, s3_bucket, "a.csv", expression, {"CSV": {"FileHeaderInfo": "USE"}})
        assert error_code(err) == code, expression
    with pytest.raises(ClientError) as err:
        _select(s3, s3_bucket, "missing.csv", "SELECT * FROM S3Object", {"CSV": {}})
    assert error_code(err) == "NoSuchKey"
