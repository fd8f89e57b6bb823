"""S3 as the S3 User Guide and the S3 API reference describe it, written the way a new user follows those
pages with boto3: multipart uploads, conditional copies, checksums, tagging, versioning, lifecycle and
event notifications. Each test's docstring names the page it follows."""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json

import pytest
from botocore.exceptions import ClientError

from tests.helpers.waiting import wait_for

MIB = 1024 * 1024


def error_of(call, *args, **kwargs) -> tuple[str, int, dict]:
    with pytest.raises(ClientError) as caught:
        call(*args, **kwargs)
    response = caught.value.response
    return response["Error"]["Code"], response["ResponseMetadata"]["HTTPStatusCode"], response["Error"]


def test_multipart_upload_part_numbers_order_listing_and_attributes(aws, s3_bucket):
    """"Uploading and copying objects using multipart upload" (S3 User Guide) and the API reference of
    UploadPart, CompleteMultipartUpload, ListMultipartUploads and GetObjectAttributes: part numbers run
    from 1 to 10,000, the part list must be in ascending order (InvalidPartOrder), in-progress uploads are
    listed with their initiation time, by prefix and delimiter and a page at a time, and the object's
    ObjectParts gives each part's size and checksum.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/mpuoverview.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObjectAttributes.html"""
    s3 = aws.client("s3")
    before = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=5)
    upload = s3.create_multipart_upload(Bucket=s3_bucket, Key="big.bin", ChecksumAlgorithm="SHA256")["UploadId"]
    for number in (0, 10001):
        code, status, error = error_of(s3.upload_part, Bucket=s3_bucket, Key="big.bin", UploadId=upload,
                                       PartNumber=number, Body=b"x")
        assert (code, status) == ("InvalidArgument", 400) and error["ArgumentName"] == "partNumber"
    bodies = {1: b"a" * (5 * MIB), 2: b"b" * 10}
    parts = []
    for number, body in bodies.items():
        part = s3.upload_part(Bucket=s3_bucket, Key="big.bin", UploadId=upload, PartNumber=number, Body=body,
                              ChecksumAlgorithm="SHA256")
        parts.append({"PartNumber": number, "ETag": part["ETag"], "ChecksumSHA256": part["ChecksumSHA256"]})
    listed = s3.list_parts(Bucket=s3_bucket, Key="big.bin", UploadId=upload)["Parts"]
    assert [(p["PartNumber"], p["Size"]) for p in listed] == [(1, 5 * MIB), (2, 10)]

    for key in ("logs/a.gz", "logs/b.gz", "tmp/c.gz"):
        s3.create_multipart_upload(Bucket=s3_bucket, Key=key)
    everything = s3.list_multipart_uploads(Bucket=s3_bucket)
    assert [u["Key"] for u in everything["Uploads"]] == ["big.bin", "logs/a.gz", "logs/b.gz", "tmp/c.gz"]
    assert all(u["Initiated"] >= before for u in everything["Uploads"])
    rolled = s3.list_multipart_uploads(Bucket=s3_bucket, Delimiter="/")
    assert [u["Key"] for u in rolled["Uploads"]] == ["big.bin"]
    assert [p["Prefix"] for p in rolled["CommonPrefixes"]] == ["logs/", "tmp/"]
    first = s3.list_multipart_uploads(Bucket=s3_bucket, Prefix="logs/", MaxUploads=1)
    assert [u["Key"] for u in first["Uploads"]] == ["logs/a.gz"] and first["IsTruncated"]
    rest = s3.list_multipart_uploads(Bucket=s3_bucket, Prefix="logs/", KeyMarker=first["NextKeyMarker"],
                                     UploadIdMarker=first["NextUploadIdMarker"])
    assert [u["Key"] for u in rest["Uploads"]] == ["logs/b.gz"] and not rest["IsTruncated"]

    code, status, _ = error_of(s3.complete_multipart_upload, Bucket=s3_bucket, Key="big.bin", UploadId=upload,
                               MultipartUpload={"Parts": parts[::-1]})
    assert (code, status) == ("InvalidPartOrder", 400)
    done = s3.complete_multipart_upload(Bucket=s3_bucket, Key="big.bin", UploadId=upload,
                                        MultipartUpload={"Parts": parts})
    assert done["ETag"].endswith('-2"')
    attributes = s3.get_object_attributes(Bucket=s3_bucket, Key="big.bin",
                                          ObjectAttributes=["ObjectParts", "ObjectSize"], MaxParts=1)
    assert attributes["ObjectSize"] == 5 * MIB + 10
    object_parts = attributes["ObjectParts"]
    assert object_parts["TotalPartsCount"] == 2 and object_parts["IsTruncated"] is True
    assert object_parts["Parts"] == [{"PartNumber": 1, "Size": 5 * MIB, "ChecksumSHA256": parts[0]["ChecksumSHA256"]}]
    head = s3.head_object(Bucket=s3_bucket, Key="big.bin", ChecksumMode="ENABLED")  # "<checksum>-<parts>"
    assert head["ChecksumSHA256"].endswith("-2") and head["ChecksumType"] == "COMPOSITE"

    for item in s3.list_multipart_uploads(Bucket=s3_bucket)["Uploads"]:
        s3.abort_multipart_upload(Bucket=s3_bucket, Key=item["Key"], UploadId=item["UploadId"])
    code, status, _ = error_of(s3.list_parts, Bucket=s3_bucket, Key="tmp/c.gz", UploadId=item["UploadId"])
    assert (code, status) == ("NoSuchUpload", 404)
    assert "Uploads" not in s3.list_multipart_uploads(Bucket=s3_bucket)


def test_copy_object_conditions_and_metadata_directive(aws, s3_bucket):
    """CopyObject in the S3 API reference: x-amz-copy-source-if-match / -if-none-match /
    -if-modified-since / -if-unmodified-since answer 412 PreconditionFailed when they do not hold, and the
    metadata directive is COPY or REPLACE. https://docs.aws.amazon.com/AmazonS3/latest/API/API_CopyObject.html"""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="src.csv", Body=b"a,b\n", ContentType="text/csv", Metadata={"team": "de"})
    etag = s3.head_object(Bucket=s3_bucket, Key="src.csv")["ETag"]
    source = {"Bucket": s3_bucket, "Key": "src.csv"}
    refused = {
        "x-amz-copy-source-If-Match": {"CopySourceIfMatch": '"0123456789abcdef0123456789abcdef"'},
        "x-amz-copy-source-If-None-Match": {"CopySourceIfNoneMatch": etag},
        "x-amz-copy-source-If-Modified-Since": {"CopySourceIfModifiedSince": dt.datetime(2100, 1, 1)},
        "x-amz-copy-source-If-Unmodified-Since": {"CopySourceIfUnmodifiedSince": dt.datetime(2000, 1, 1)},
    }
    for condition, arguments in refused.items():
        code, status, error = error_of(s3.copy_object, Bucket=s3_bucket, Key="dst.csv", CopySource=source,
                                       **arguments)
        assert (code, status, error.get("Condition")) == ("PreconditionFailed", 412, condition)
    s3.copy_object(Bucket=s3_bucket, Key="dst.csv", CopySource=source, CopySourceIfMatch=etag,
                   CopySourceIfModifiedSince=dt.datetime(2000, 1, 1))
    assert s3.head_object(Bucket=s3_bucket, Key="dst.csv")["Metadata"] == {"team": "de"}
    s3.copy_object(Bucket=s3_bucket, Key="dst.csv", CopySource=source, MetadataDirective="REPLACE",
                   Metadata={"team": "ml"})
    assert s3.head_object(Bucket=s3_bucket, Key="dst.csv")["Metadata"] == {"team": "ml"}
    code, status, error = error_of(s3.copy_object, Bucket=s3_bucket, Key="dst.csv", CopySource=source,
                                   MetadataDirective="KEEP")
    assert (code, status) == ("InvalidArgument", 400) and "metadata directive" in error["Message"]


def test_checksums_are_verified_and_kept(aws, s3_bucket):
    """"Checking object integrity" (S3 User Guide): a checksum or Content-MD5 the client sends must match
    the body (BadDigest), and GetObjectAttributes answers the checksum the object was stored with.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/checking-object-integrity.html"""
    s3 = aws.client("s3")
    body = b"id,amount\n1,9.99\n"

    def b64(digest: bytes) -> str:
        return base64.b64encode(digest).decode()

    code, status, error = error_of(s3.put_object, Bucket=s3_bucket, Key="bad.csv", Body=body,
                                   ChecksumSHA256=b64(hashlib.sha256(b"other").digest()))
    assert (code, status) == ("BadDigest", 400) and "SHA256" in error["Message"]
    code, _, _ = error_of(s3.put_object, Bucket=s3_bucket, Key="bad.csv", Body=body,
                          ContentMD5=b64(hashlib.md5(b"other").digest()))
    assert code == "BadDigest"
    good = s3.put_object(Bucket=s3_bucket, Key="good.csv", Body=body, ChecksumSHA256=b64(hashlib.sha256(body).digest()))
    assert good["ChecksumSHA256"] == b64(hashlib.sha256(body).digest())
    attributes = s3.get_object_attributes(Bucket=s3_bucket, Key="good.csv", ObjectAttributes=["Checksum", "ObjectSize"])
    assert attributes["Checksum"]["ChecksumSHA256"] == b64(hashlib.sha256(body).digest())
    assert attributes["ObjectSize"] == len(body)
    put = s3.put_object(Bucket=s3_bucket, Key="crc.csv", Body=body, ChecksumAlgorithm="CRC32")
    head = s3.head_object(Bucket=s3_bucket, Key="crc.csv", ChecksumMode="ENABLED")
    assert head["ChecksumCRC32"] == put["ChecksumCRC32"] and head["ChecksumType"] == "FULL_OBJECT"
    assert "bad.csv" not in [o["Key"] for o in s3.list_objects_v2(Bucket=s3_bucket).get("Contents", [])]

    upload = s3.create_multipart_upload(Bucket=s3_bucket, Key="parts.bin", ChecksumAlgorithm="SHA256")["UploadId"]
    code, _, _ = error_of(s3.upload_part, Bucket=s3_bucket, Key="parts.bin", UploadId=upload, PartNumber=1,
                          Body=b"abc", ChecksumSHA256=b64(hashlib.sha256(b"xyz").digest()))
    assert code == "BadDigest"
    s3.abort_multipart_upload(Bucket=s3_bucket, Key="parts.bin", UploadId=upload)


def test_tagging_versioning_delete_objects_and_lifecycle_validation(aws, s3_bucket):
    """The S3 API reference of PutObjectTagging (a key once per tag set), PutBucketVersioning (Enabled or
    Suspended), DeleteObjects (at most 1,000 keys) and PutBucketLifecycleConfiguration (Status Enabled or
    Disabled, expiration days positive), with "Using versioning in S3 buckets" (User Guide) for delete
    markers. https://docs.aws.amazon.com/AmazonS3/latest/API/API_PutObjectTagging.html"""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="data.csv", Body=b"1")
    code, status, _ = error_of(s3.put_object_tagging, Bucket=s3_bucket, Key="data.csv", Tagging={
        "TagSet": [{"Key": "stage", "Value": "raw"}, {"Key": "stage", "Value": "clean"}]})
    assert (code, status) == ("InvalidTag", 400)
    s3.put_object_tagging(Bucket=s3_bucket, Key="data.csv", Tagging={"TagSet": [{"Key": "stage", "Value": "raw"}]})
    assert s3.get_object_tagging(Bucket=s3_bucket, Key="data.csv")["TagSet"] == [{"Key": "stage", "Value": "raw"}]

    code, _, _ = error_of(s3.put_bucket_versioning, Bucket=s3_bucket, VersioningConfiguration={"Status": "On"})
    assert code == "MalformedXML"
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    first = s3.put_object(Bucket=s3_bucket, Key="data.csv", Body=b"2")["VersionId"]
    marker = s3.delete_object(Bucket=s3_bucket, Key="data.csv")
    assert marker["DeleteMarker"] is True
    assert error_of(s3.get_object, Bucket=s3_bucket, Key="data.csv")[:2] == ("NoSuchKey", 404)
    assert s3.get_object(Bucket=s3_bucket, Key="data.csv", VersionId=first)["Body"].read() == b"2"
    s3.delete_object(Bucket=s3_bucket, Key="data.csv", VersionId=marker["VersionId"])
    assert s3.get_object(Bucket=s3_bucket, Key="data.csv")["Body"].read() == b"2"

    code, status, _ = error_of(s3.delete_objects, Bucket=s3_bucket,
                               Delete={"Objects": [{"Key": f"k{i}"} for i in range(1001)]})
    assert (code, status) == ("MalformedXML", 400)

    def lifecycle(**rule):
        return s3.put_bucket_lifecycle_configuration(Bucket=s3_bucket, LifecycleConfiguration={
            "Rules": [{"ID": "expire-raw", "Filter": {"Prefix": "raw/"}, **rule}]})

    assert error_of(lifecycle, Status="On", Expiration={"Days": 30})[0] == "MalformedXML"
    code, _, error = error_of(lifecycle, Status="Enabled", Expiration={"Days": 0})
    assert code == "InvalidArgument" and "positive integer" in error["Message"]
    lifecycle(Status="Enabled", Expiration={"Days": 30})
    rule = s3.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"][0]
    assert rule["Expiration"] == {"Days": 30} and rule["Status"] == "Enabled"
    # "Examples of S3 Lifecycle configurations": filtering by object size, keeping noncurrent versions
    sized = {"ID": "large-logs", "Status": "Enabled", "Expiration": {"Days": 90},
             "Filter": {"And": {"Prefix": "logs/", "Tags": [{"Key": "tier", "Value": "cold"}],
                                "ObjectSizeGreaterThan": 1024, "ObjectSizeLessThan": 10485760}},
             "NoncurrentVersionExpiration": {"NoncurrentDays": 30, "NewerNoncurrentVersions": 2}}
    small = {"ID": "tiny", "Status": "Disabled", "Filter": {"ObjectSizeLessThan": 128},
             "Transitions": [{"Days": 30, "StorageClass": "STANDARD_IA"}]}
    s3.put_bucket_lifecycle_configuration(Bucket=s3_bucket, LifecycleConfiguration={"Rules": [sized, small]})
    assert s3.get_bucket_lifecycle_configuration(Bucket=s3_bucket)["Rules"] == [sized, small]
    s3.delete_bucket_lifecycle(Bucket=s3_bucket)
    assert error_of(s3.get_bucket_lifecycle_configuration, Bucket=s3_bucket)[:2] == (
        "NoSuchLifecycleConfiguration", 404)


def test_event_notifications_to_sqs_and_eventbridge(aws, s3_bucket, unique_name):
    """"Amazon S3 Event Notifications" and "EventBridge event message structure" (S3 User Guide): a
    destination that does not exist is refused when the configuration is written; the SQS record carries
    the key URL-encoded with its slashes kept; EventBridge receives "Object Created" with the detail S3
    sends (reason PutObject, lower-case etag), and the configuration answers EventBridgeConfiguration.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ev-events.html#eventbridge-event-message-structure"""
    s3, sqs, events = aws.client("s3"), aws.client("sqs"), aws.client("events")
    queue = sqs.create_queue(QueueName=unique_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    missing = queue_arn + "-missing"
    code, status, error = error_of(s3.put_bucket_notification_configuration, Bucket=s3_bucket,
                                   NotificationConfiguration={"QueueConfigurations": [
                                       {"QueueArn": missing, "Events": ["s3:ObjectCreated:*"]}]})
    assert (code, status) == ("InvalidArgument", 400)
    assert error["Message"] == "Unable to validate the following destination configurations"
    overlapping = [{"QueueArn": queue_arn, "Events": events, "Filter": {"Key": {"FilterRules": [
        {"Name": "prefix", "Value": prefix}]}}} for events, prefix in ((["s3:ObjectCreated:*"], "raw/"),
                                                                       (["s3:ObjectCreated:Put"], "raw/2024/"))]
    code, _, error = error_of(s3.put_bucket_notification_configuration, Bucket=s3_bucket,
                              NotificationConfiguration={"QueueConfigurations": overlapping})
    assert code == "InvalidArgument" and error["Message"].startswith("Configurations overlap")
    for rules in ([{"Name": "prefix", "Value": "a/"}, {"Name": "prefix", "Value": "b/"}],
                  [{"Name": "middle", "Value": "a"}], [{"Name": "suffix", "Value": ""}]):
        code, status, _ = error_of(s3.put_bucket_notification_configuration, Bucket=s3_bucket,
                                   NotificationConfiguration={"QueueConfigurations": [{
                                       "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                                       "Filter": {"Key": {"FilterRules": rules}}}]})
        assert (code, status) == ("InvalidArgument", 400), rules

    rule = f"{unique_name}-created"
    events.put_rule(Name=rule, EventPattern=json.dumps({
        "source": ["aws.s3"], "detail-type": ["Object Created"], "detail": {"bucket": {"name": [s3_bucket]}}}))
    events.put_targets(Rule=rule, Targets=[{"Id": "queue", "Arn": queue_arn}])
    s3.put_bucket_notification_configuration(Bucket=s3_bucket, NotificationConfiguration={
        "QueueConfigurations": [{"Id": "csv", "QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*"],
                                 "Filter": {"Key": {"FilterRules": [{"Name": "suffix", "Value": ".csv"}]}}}],
        "EventBridgeConfiguration": {}})
    config = s3.get_bucket_notification_configuration(Bucket=s3_bucket)
    assert config["EventBridgeConfiguration"] == {} and config["QueueConfigurations"][0]["Id"] == "csv"
    sqs.purge_queue(QueueUrl=queue)  # the s3:TestEvent sent when the configuration was written
    s3.put_object(Bucket=s3_bucket, Key="raw/day 1.csv", Body=b"a,b\n")

    bodies: list[dict] = []

    def both_arrived() -> bool:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        bodies.extend(json.loads(m["Body"]) for m in messages.get("Messages", []))
        return any("Records" in b for b in bodies) and any("detail" in b for b in bodies)

    wait_for(both_arrived)
    record = next(b for b in bodies if "Records" in b)["Records"][0]
    assert record["eventName"] == "ObjectCreated:Put" and record["s3"]["configurationId"] == "csv"
    assert record["s3"]["object"]["key"] == "raw/day+1.csv"
    assert {"userIdentity", "requestParameters", "responseElements"} <= set(record)
    assert "sequencer" in record["s3"]["object"] and "ownerIdentity" in record["s3"]["bucket"]
    event = next(b for b in bodies if "detail" in b)
    assert event["source"] == "aws.s3" and event["detail-type"] == "Object Created"
    assert event["resources"] == [f"arn:aws:s3:::{s3_bucket}"]
    detail = event["detail"]
    assert detail["reason"] == "PutObject" and detail["bucket"] == {"name": s3_bucket}
    assert detail["object"]["key"] == "raw/day 1.csv" and detail["object"]["size"] == 4
    assert detail["object"]["etag"] == hashlib.md5(b"a,b\n").hexdigest()
    assert "version-id" not in detail["object"]  # the bucket never had versioning
    s3.put_bucket_notification_configuration(Bucket=s3_bucket, NotificationConfiguration={})


def test_presigned_urls_and_browser_post_policies_over_plain_http(aws, s3_bucket):
    """"Sharing objects with presigned URLs" and "Uploading objects with presigned URLs" (S3 User Guide), and
    "Creating a POST policy" (S3 API reference, browser-based uploads): a presigned GET and PUT work with any
    HTTP client; a POST is held to its policy's conditions (content-length-range, exact and starts-with
    matches, no form field the policy does not name).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/ShareObjectPreSignedURL.html
    https://docs.aws.amazon.com/AmazonS3/latest/API/sigv4-HTTPPOSTConstructPolicy.html"""
    import requests
    from botocore.config import Config

    s3 = aws.client("s3")
    v4 = aws.client("s3", config=Config(signature_version="s3v4"))
    put_url = v4.generate_presigned_url("put_object", Params={"Bucket": s3_bucket, "Key": "in/report.csv"},
                                        ExpiresIn=300)
    assert requests.put(put_url, data=b"a,b\n1,2\n", timeout=10).status_code == 200
    get_url = v4.generate_presigned_url("get_object", Params={"Bucket": s3_bucket, "Key": "in/report.csv"},
                                        ExpiresIn=300)
    assert requests.get(get_url, timeout=10).content == b"a,b\n1,2\n"

    post = v4.generate_presigned_post(s3_bucket, "uploads/${filename}", Fields={"Content-Type": "text/csv"},
                                      Conditions=[["content-length-range", 1, 64], {"Content-Type": "text/csv"}],
                                      ExpiresIn=300)

    def upload(fields: dict, body: bytes) -> requests.Response:
        return requests.post(post["url"], data=fields, files={"file": ("day1.csv", body)}, timeout=10)

    assert upload(post["fields"], b"x" * 65).status_code == 400  # EntityTooLarge
    assert b"EntityTooLarge" in upload(post["fields"], b"x" * 65).content
    wrong_type = upload(dict(post["fields"], **{"Content-Type": "text/plain"}), b"a,b\n")
    assert wrong_type.status_code == 403 and b"Policy Condition failed" in wrong_type.content
    extra = upload(dict(post["fields"], acl="public-read"), b"a,b\n")
    assert extra.status_code == 403 and b"Extra input fields: acl" in extra.content
    assert upload(post["fields"], b"a,b\n").status_code == 204
    head = s3.head_object(Bucket=s3_bucket, Key="uploads/day1.csv")
    assert head["ContentType"] == "text/csv" and head["ContentLength"] == 4


def test_default_encryption_metadata_limit_and_null_versions(aws, s3_bucket):
    """"Setting default server-side encryption behavior for Amazon S3 buckets" (S3 User Guide: every bucket
    encrypts new objects with SSE-S3 unless configured otherwise), "Working with object metadata" (user
    metadata is limited to 2 KB) and "Working with objects in a versioning-suspended bucket" (an object
    stored before versioning has the version id null).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/default-bucket-encryption.html"""
    s3 = aws.client("s3")
    rules = s3.get_bucket_encryption(Bucket=s3_bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    assert rules[0]["ApplyServerSideEncryptionByDefault"] == {"SSEAlgorithm": "AES256"}
    put = s3.put_object(Bucket=s3_bucket, Key="plain.txt", Body=b"x")
    assert put["ServerSideEncryption"] == "AES256"
    assert s3.head_object(Bucket=s3_bucket, Key="plain.txt")["ServerSideEncryption"] == "AES256"
    code, status, _ = error_of(s3.put_object, Bucket=s3_bucket, Key="meta.txt", Body=b"x",
                               Metadata={"notes": "n" * 2100})
    assert (code, status) == ("MetadataTooLarge", 400)
    s3.put_object(Bucket=s3_bucket, Key="meta.txt", Body=b"x", Metadata={"notes": "n" * 1000})
    versions = s3.list_object_versions(Bucket=s3_bucket, Prefix="plain.txt")["Versions"]
    assert [v["VersionId"] for v in versions] == ["null"]
    assert s3.head_object(Bucket=s3_bucket, Key="plain.txt", VersionId="null")["ContentLength"] == 1
    assert s3.get_object(Bucket=s3_bucket, Key="plain.txt", VersionId="null")["Body"].read() == b"x"


def test_s3_select_json_paths_in_from(aws, s3_bucket):
    """"SELECT command" and "FROM clause" of the S3 Select SQL reference: a JSON document's nested records
    are reached with a path in FROM (``S3Object[*].Rules[*].id`` yields one record per rule, empty where
    the rule has no id), and array positions count from 0.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-select-sql-reference-from.html"""
    s3 = aws.client("s3")
    document = {"Rules": [{"id": "1"}, {"expr": "y > x"}, {"id": "2", "expr": "z = DEBUG"}]}
    s3.put_object(Bucket=s3_bucket, Key="rules.json", Body=json.dumps(document).encode())

    def select(expression: str) -> list[dict]:
        response = s3.select_object_content(
            Bucket=s3_bucket, Key="rules.json", Expression=expression, ExpressionType="SQL",
            InputSerialization={"JSON": {"Type": "DOCUMENT"}}, OutputSerialization={"JSON": {}})
        payload = b"".join(e["Records"]["Payload"] for e in response["Payload"] if "Records" in e)
        return [json.loads(line) for line in payload.decode().splitlines()]

    assert select("SELECT id FROM S3Object[*].Rules[*].id") == [{"id": "1"}, {}, {"id": "2"}]
    assert select("SELECT r.expr FROM S3Object[*].Rules[*] r WHERE r.id = '2'") == [{"expr": "z = DEBUG"}]
    assert select("SELECT s.Rules[1].expr AS e FROM S3Object s") == [{"e": "y > x"}]
    s3.put_object(Bucket=s3_bucket, Key="plain.csv", Body=b"a,b\n1,2\n")
    code, status, _ = error_of(s3.select_object_content, Bucket=s3_bucket, Key="plain.csv",
                               Expression="SELECT * FROM S3Object[*].a s", ExpressionType="SQL",
                               InputSerialization={"CSV": {}}, OutputSerialization={"CSV": {}})
    assert (code, status) == ("UnsupportedSyntax", 400)



def test_one_event_per_operation_with_the_operations_event_type(aws, s3_bucket, unique_name):
    """"Event notification types and destinations" (S3 User Guide): a PutObject sends ObjectCreated:Put only
    (its tags send no ObjectTagging event), a completed multipart upload CompleteMultipartUpload only, a
    copy Copy, PutObjectTagging ObjectTagging:Put, and a delete in a versioned bucket
    ObjectRemoved:DeleteMarkerCreated; removal records carry no size.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/notification-how-to-event-types-and-destinations.html"""
    s3, sqs = aws.client("s3"), aws.client("sqs")
    queue = sqs.create_queue(QueueName=unique_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    s3.put_bucket_notification_configuration(Bucket=s3_bucket, NotificationConfiguration={"QueueConfigurations": [
        {"QueueArn": queue_arn, "Events": ["s3:ObjectCreated:*", "s3:ObjectRemoved:*", "s3:ObjectTagging:*"]}]})
    sqs.purge_queue(QueueUrl=queue)
    s3.put_object(Bucket=s3_bucket, Key="a.csv", Body=b"1", Tagging="stage=raw")
    s3.copy_object(Bucket=s3_bucket, Key="b.csv", CopySource={"Bucket": s3_bucket, "Key": "a.csv"})
    upload = s3.create_multipart_upload(Bucket=s3_bucket, Key="c.csv", Tagging="stage=raw")["UploadId"]
    part = s3.upload_part(Bucket=s3_bucket, Key="c.csv", UploadId=upload, PartNumber=1, Body=b"x")["ETag"]
    s3.complete_multipart_upload(Bucket=s3_bucket, Key="c.csv", UploadId=upload,
                                 MultipartUpload={"Parts": [{"PartNumber": 1, "ETag": part}]})
    s3.put_object_tagging(Bucket=s3_bucket, Key="c.csv", Tagging={"TagSet": [{"Key": "stage", "Value": "clean"}]})
    s3.delete_object(Bucket=s3_bucket, Key="a.csv")
    expected = [("ObjectCreated:Put", "a.csv"), ("ObjectCreated:Copy", "b.csv"),
                ("ObjectCreated:CompleteMultipartUpload", "c.csv"), ("ObjectTagging:Put", "c.csv"),
                ("ObjectRemoved:DeleteMarkerCreated", "a.csv")]
    records: list[dict] = []

    def all_arrived() -> bool:
        messages = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1)
        for message in messages.get("Messages", []):
            records.extend(json.loads(message["Body"]).get("Records", []))
        return len(records) >= len(expected)

    wait_for(all_arrived)
    assert sorted((r["eventName"], r["s3"]["object"]["key"]) for r in records) == sorted(expected)
    removal = next(r for r in records if r["eventName"].startswith("ObjectRemoved"))
    assert "size" not in removal["s3"]["object"] and removal["s3"]["object"]["versionId"]
    s3.put_bucket_notification_configuration(Bucket=s3_bucket, NotificationConfiguration={})

@pytest.fixture(scope="module")
def client_libraries(aws):
    """The environment the AWS SDK for pandas and PyAthena read their endpoint and credentials from."""
    import os

    saved = {k: os.environ.get(k) for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY",
                                            "AWS_DEFAULT_REGION")}
    os.environ.update(aws.environment())
    yield aws
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.mark.slow
def test_awswrangler_to_iceberg_appends_and_pyathena_parameters(client_libraries, s3_bucket, unique_name):
    """AWS SDK for pandas tutorial "Athena Iceberg" (wr.athena.to_iceberg creates the table, then appends,
    partition_cols and schema_evolution) and PyAthena's README (pyformat and qmark parameters).
    https://aws-sdk-pandas.readthedocs.io/en/stable/tutorials/039%20-%20Athena%20Iceberg.html"""
    import awswrangler as wr
    import pandas as pd
    from pyathena import connect

    endpoint = client_libraries.client("s3").meta.endpoint_url
    for name in ("s3", "athena", "glue"):
        setattr(wr.config, f"{name}_endpoint_url", endpoint)
    wr.config.athena_query_wait_polling_delay = 0.1  # the library polls each query once a second by default
    database, output = unique_name, f"s3://{s3_bucket}/athena/"
    wr.catalog.create_database(database)
    try:
        frame = pd.DataFrame({"id": [1, 2, 3], "name": ["a", "b", "c"], "year": [2023, 2024, 2024]})
        common = {"database": database, "s3_output": output}
        wr.athena.to_iceberg(frame, table="events", table_location=f"s3://{s3_bucket}/iceberg/events/",
                             temp_path=f"s3://{s3_bucket}/tmp/1/", partition_cols=["year"], **common)
        # the second write appends to the table the first created, with a new column
        wr.athena.to_iceberg(frame.assign(source="web"), table="events", schema_evolution=True,
                             table_location=f"s3://{s3_bucket}/iceberg/events/", temp_path=f"s3://{s3_bucket}/tmp/2/",
                             partition_cols=["year"], **common)
        counted = wr.athena.read_sql_query("SELECT year, count(*) AS n, count(source) AS web FROM events "
                                           "GROUP BY year ORDER BY year", ctas_approach=False, **common)
        assert counted.to_dict("list") == {"year": [2023, 2024], "n": [2, 4], "web": [1, 2]}
        assert wr.catalog.get_table_types(database=database, table="events") == {
            "id": "bigint", "name": "string", "year": "bigint", "source": "string"}

        cursor = connect(s3_staging_dir=output, schema_name=database).cursor()
        cursor.execute("SELECT name FROM events WHERE id = %(id)d AND name = %(name)s LIMIT 1",
                       {"id": 2, "name": "b"})
        assert cursor.fetchall() == [("b",)] and cursor.description[0][:2] == ("name", "varchar")
        cursor.execute("SELECT count(*) FROM events WHERE year = ? AND name = ?", ["2024", "'c'"],
                       paramstyle="qmark")
        assert cursor.fetchall() == [(2,)]
    finally:
        wr.catalog.delete_database(database)
        for name in ("s3", "athena", "glue"):
            setattr(wr.config, f"{name}_endpoint_url", None)
        wr.config.reset("athena_query_wait_polling_delay")


def test_s3_select_date_functions_and_missing(aws, s3_bucket):
    """"Date functions" and "Conditional functions" of the S3 Select SQL reference, over the user guide's
    sample CSV of people: TO_TIMESTAMP, EXTRACT, DATE_ADD, DATE_DIFF, TO_STRING, UTCNOW and IS NOT MISSING.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/s3-select-sql-reference-date.html"""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="people.csv", Body=b"Name,City,Born\nSam,Irvine,2001-03-04T10:00:00Z\n"
                                                          b"Jeff,Seattle,1990-01-01T00:00:00Z\n")

    def select(expression: str) -> list[str]:
        response = s3.select_object_content(
            Bucket=s3_bucket, Key="people.csv", Expression=expression, ExpressionType="SQL",
            InputSerialization={"CSV": {"FileHeaderInfo": "USE"}}, OutputSerialization={"CSV": {}})
        payload = b"".join(e["Records"]["Payload"] for e in response["Payload"] if "Records" in e)
        return payload.decode().splitlines()

    assert select("SELECT EXTRACT(YEAR FROM TO_TIMESTAMP(s.Born)) FROM S3Object s") == ["2001", "1990"]
    assert select("SELECT DATE_ADD(day, 1, TO_TIMESTAMP(s.Born)) FROM S3Object s LIMIT 1") == ["2001-03-05T10:00:00Z"]
    assert select("SELECT DATE_DIFF(year, TO_TIMESTAMP('2010-01-01T'), TO_TIMESTAMP('2011-01-01T')) "
                  "FROM S3Object s LIMIT 1") == ["1"]
    assert select("SELECT TO_STRING(TO_TIMESTAMP(s.Born), 'MMMM d, y') FROM S3Object s LIMIT 1") == [
        '"March 4, 2001"']
    assert select("SELECT s.Name FROM S3Object s WHERE s.City IS NOT MISSING AND "
                  "TO_TIMESTAMP(s.Born) < UTCNOW()") == ["Sam", "Jeff"]


def test_versioning_suspended_bucket_keeps_its_versions(aws, s3_bucket):
    """"Working with objects in a versioning-suspended bucket" (S3 User Guide): a PUT replaces only the null
    version, a DELETE puts a delete marker whose version id is null, and the versions made while versioning
    was enabled stay readable (HeadObject and GetObject by version id).
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/VersionSuspendedBehavior.html"""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="k.txt", Body=b"0")
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Enabled"})
    kept = s3.put_object(Bucket=s3_bucket, Key="k.txt", Body=b"11")["VersionId"]
    s3.put_bucket_versioning(Bucket=s3_bucket, VersioningConfiguration={"Status": "Suspended"})
    s3.put_object(Bucket=s3_bucket, Key="k.txt", Body=b"222")

    def versions() -> tuple[list, list]:
        listed = s3.list_object_versions(Bucket=s3_bucket, Prefix="k.txt")
        return ([(v["VersionId"], v["IsLatest"], v["Size"]) for v in listed.get("Versions", [])],
                [(d["VersionId"], d["IsLatest"]) for d in listed.get("DeleteMarkers", [])])

    assert versions() == ([("null", True, 3), (kept, False, 2)], [])
    assert s3.head_object(Bucket=s3_bucket, Key="k.txt", VersionId=kept)["ContentLength"] == 2
    deleted = s3.delete_object(Bucket=s3_bucket, Key="k.txt")
    assert deleted["DeleteMarker"] is True and deleted["VersionId"] == "null"
    assert versions() == ([(kept, False, 2)], [("null", True)])
    assert s3.get_object(Bucket=s3_bucket, Key="k.txt", VersionId=kept)["Body"].read() == b"11"
    s3.delete_object(Bucket=s3_bucket, Key="k.txt", VersionId="null")  # removing the marker brings it back
    assert versions() == ([(kept, True, 2)], [])
    assert s3.get_object(Bucket=s3_bucket, Key="k.txt")["Body"].read() == b"11"


def test_archived_objects_restore_and_list_with_restore_status(aws, s3_bucket):
    """"Restoring an archived object" and "Working with archived objects" (S3 User Guide), with
    ListObjectsV2's OptionalObjectAttributes=RestoreStatus (S3 API reference): an object in GLACIER cannot be
    read until restored (InvalidObjectState 403), RestoreObject answers 202, then HeadObject's Restore and the
    listing's RestoreStatus show the restored copy and its expiry; storage classes appear in listings.
    https://docs.aws.amazon.com/AmazonS3/latest/userguide/restoring-objects.html"""
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="archive/2019.csv", Body=b"old", StorageClass="GLACIER")
    s3.put_object(Bucket=s3_bucket, Key="hot.csv", Body=b"new")
    code, status, error = error_of(s3.get_object, Bucket=s3_bucket, Key="archive/2019.csv")
    assert (code, status) == ("InvalidObjectState", 403) and error["StorageClass"] == "GLACIER"
    restore = s3.restore_object(Bucket=s3_bucket, Key="archive/2019.csv",
                                RestoreRequest={"Days": 2, "GlacierJobParameters": {"Tier": "Standard"}})
    assert restore["ResponseMetadata"]["HTTPStatusCode"] == 202
    assert 'ongoing-request="false"' in s3.head_object(Bucket=s3_bucket, Key="archive/2019.csv")["Restore"]
    listed = s3.list_objects_v2(Bucket=s3_bucket, OptionalObjectAttributes=["RestoreStatus"])["Contents"]
    by_key = {o["Key"]: o for o in listed}
    assert by_key["archive/2019.csv"]["StorageClass"] == "GLACIER"
    assert by_key["archive/2019.csv"]["RestoreStatus"]["IsRestoreInProgress"] is False
    assert "RestoreExpiryDate" in by_key["archive/2019.csv"]["RestoreStatus"]
    assert "RestoreStatus" not in by_key["hot.csv"] and by_key["hot.csv"]["StorageClass"] == "STANDARD"
    assert s3.get_object(Bucket=s3_bucket, Key="archive/2019.csv")["Body"].read() == b"old"


def test_list_buckets_pages_with_prefix_and_region(aws, unique_name):
    """ListBuckets in the S3 API reference: MaxBuckets pages with a ContinuationToken, Prefix and
    BucketRegion filter, each bucket names its region.
    https://docs.aws.amazon.com/AmazonS3/latest/API/API_ListBuckets.html"""
    s3 = aws.client("s3")
    names = [f"{unique_name}-{n}" for n in ("a", "b", "c")]
    for name in names[:2]:
        s3.create_bucket(Bucket=name)
    s3.create_bucket(Bucket=names[2], CreateBucketConfiguration={"LocationConstraint": "eu-west-1"})
    try:
        first = s3.list_buckets(Prefix=unique_name, MaxBuckets=2)
        assert [b["Name"] for b in first["Buckets"]] == names[:2] and first["Prefix"] == unique_name
        rest = s3.list_buckets(Prefix=unique_name, MaxBuckets=2, ContinuationToken=first["ContinuationToken"])
        assert [(b["Name"], b["BucketRegion"]) for b in rest["Buckets"]] == [(names[2], "eu-west-1")]
        assert "ContinuationToken" not in rest
        pages = s3.get_paginator("list_buckets").paginate(Prefix=unique_name, PaginationConfig={"PageSize": 1})
        assert [b["Name"] for page in pages for b in page["Buckets"]] == names
        in_ireland = s3.list_buckets(Prefix=unique_name, BucketRegion="eu-west-1")["Buckets"]
        assert [b["Name"] for b in in_ireland] == [names[2]]
    finally:
        for name in names:
            s3.delete_bucket(Bucket=name)
