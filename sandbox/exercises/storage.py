"""Exercises on the S3 data lake and KMS (exam domain: data engineering / storage)."""

from __future__ import annotations

import re

from sandbox.exercises import Exercise, Grader
from sandbox.exercises._helpers import list_keys, lookup, need_bucket

NOTEBOOK = "notebooks/01_s3_data_lake.ipynb"


def check_kms_default(g: Grader) -> None:
    bucket, alias = "ex01-secure-lake", "alias/ex01-lake-key"
    kms = g.client("kms")
    aliases = {a["AliasName"]: a for a in kms.list_aliases()["Aliases"]}
    g.need(alias in aliases and aliases[alias].get("TargetKeyId"),
           f"KMS alias {alias} does not exist (kms.create_key(...) then kms.create_alias(AliasName='{alias}', ...))",
           f"alias {alias} exists")
    key = kms.describe_key(KeyId=alias)["KeyMetadata"]
    g.expect(key.get("KeyManager") == "CUSTOMER",
             f"{alias} points at an AWS managed key; the exam asks for a customer managed key (kms.create_key)",
             "the key is customer managed")
    g.expect(key.get("KeyState") == "Enabled", f"key {key['KeyId']} is {key.get('KeyState')}, not Enabled")
    s3 = need_bucket(g, bucket)
    try:
        rules = s3.get_bucket_encryption(Bucket=bucket)["ServerSideEncryptionConfiguration"]["Rules"]
    except s3.exceptions.ClientError:
        rules = []
    default = rules[0]["ApplyServerSideEncryptionByDefault"] if rules else {}
    g.need(default.get("SSEAlgorithm") == "aws:kms",
           f"bucket {bucket} has no SSE-KMS default encryption (put_bucket_encryption with SSEAlgorithm='aws:kms'); "
           f"found {default.get('SSEAlgorithm') or 'none'}", "default encryption is SSE-KMS")
    named = default.get("KMSMasterKeyID")
    g.need(named, f"the default encryption of {bucket} names no KMSMasterKeyID, so S3 would use the AWS managed "
                  f"key aws/s3; name {alias}")
    target = lookup(kms.describe_key, KeyId=named)
    g.expect(target is not None and target["KeyMetadata"]["KeyId"] == key["KeyId"],
             f"the default encryption of {bucket} uses key {named}, not the key behind {alias}",
             f"the default key is {alias}")


def check_versioning(g: Grader) -> None:
    bucket, key = "ex02-model-artifacts", "models/churn/model.tar.gz"
    s3 = need_bucket(g, bucket)
    status = s3.get_bucket_versioning(Bucket=bucket).get("Status")
    g.expect(status == "Enabled", f"versioning on {bucket} is {status or 'never enabled'}, not Enabled "
                                  "(put_bucket_versioning)", "versioning is Enabled")
    versions = [v for v in s3.list_object_versions(Bucket=bucket, Prefix=key).get("Versions", []) if v["Key"] == key]
    g.expect(len(versions) >= 2, f"s3://{bucket}/{key} has {len(versions)} version(s); upload it twice so an older "
                                 "model can be restored", f"{key} has {len(versions)} versions")


def check_public_access(g: Grader) -> None:
    bucket = "ex03-private-data"
    s3 = need_bucket(g, bucket)
    try:
        config = s3.get_public_access_block(Bucket=bucket)["PublicAccessBlockConfiguration"]
    except s3.exceptions.ClientError:
        config = {}
    for setting in ("BlockPublicAcls", "IgnorePublicAcls", "BlockPublicPolicy", "RestrictPublicBuckets"):
        g.expect(config.get(setting) is True, f"{setting} is not true in the public access block of {bucket} "
                                              "(put_public_access_block)", f"{setting} on")


PARTITION_RE = re.compile(r"^sales/year=(\d{4})/month=(\d{2})/day=(\d{2})/[^/]+$")


def check_partitioned_parquet(g: Grader) -> None:
    bucket = "ex04-sales-lake"
    s3 = need_bucket(g, bucket)
    objects = [o for o in list_keys(s3, bucket, "sales/") if not o["Key"].endswith("/")]
    g.need(objects, f"no objects under s3://{bucket}/sales/: write the orders there")
    wrong = [o["Key"] for o in objects if not PARTITION_RE.match(o["Key"])]
    g.expect(not wrong, f"{len(wrong)} object(s) are not under sales/year=YYYY/month=MM/day=DD/ "
                        f"(hive-style, two-digit month and day), e.g. {wrong[:2]}", "every object is in a "
                                                                                    "year/month/day partition")
    days = {PARTITION_RE.match(o["Key"]).groups() for o in objects if PARTITION_RE.match(o["Key"])}
    g.expect(len(days) >= 5, f"only {len(days)} day partition(s); store at least 5 days of sales",
             f"{len(days)} day partitions")
    not_parquet = []
    for item in objects[:50]:
        head = s3.get_object(Bucket=bucket, Key=item["Key"], Range="bytes=0-3")["Body"].read()
        if head != b"PAR1":
            not_parquet.append(item["Key"])
    g.expect(not not_parquet, f"{len(not_parquet)} object(s) are not Parquet (they do not start with PAR1), "
                              f"e.g. {not_parquet[:2]}", "objects are Parquet")
    _check_rows_in_their_partition(g, s3, bucket, [o["Key"] for o in objects[:50]
                                                   if PARTITION_RE.match(o["Key"]) and o["Key"] not in not_parquet])


def _check_rows_in_their_partition(g: Grader, s3, bucket: str, keys: list[str]) -> None:
    """Every row's order_ts must fall on the day its folder names (a pruned query would miss it otherwise)."""
    import io

    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    if not keys:
        return
    misplaced: list[str] = []
    rows = 0
    for key in keys:
        table = pq.read_table(io.BytesIO(s3.get_object(Bucket=bucket, Key=key)["Body"].read()))
        if "order_ts" not in table.column_names:
            g.stop(f"{key} has no order_ts column (columns {table.column_names}): keep each order's timestamp so "
                   "its partition can be checked")
        rows += table.num_rows
        day = "-".join(PARTITION_RE.match(key).groups())
        dates = pc.strftime(table.column("order_ts"), format="%Y-%m-%d").to_pylist()
        wrong = sum(1 for d in dates if d != day)
        if wrong:
            misplaced.append(f"{key} ({wrong} of {table.num_rows} rows are not from {day})")
    g.need(rows, "the Parquet files hold no rows")
    g.expect(not misplaced, f"rows are in the wrong partition: their order_ts is not the day of their folder, "
                            f"e.g. {misplaced[:2]}", f"all {rows} rows sit in the partition of their order_ts day")


def check_tags(g: Grader) -> None:
    bucket, prefix = "ex05-hr-data", "employees/"
    s3 = need_bucket(g, bucket)
    objects = list_keys(s3, bucket, prefix)
    g.need(objects, f"no objects under s3://{bucket}/{prefix}: upload the employee files there")
    untagged = []
    for item in objects:
        tags = {t["Key"]: t["Value"] for t in s3.get_object_tagging(Bucket=bucket, Key=item["Key"])["TagSet"]}
        if tags.get("classification") != "confidential":
            untagged.append(item["Key"])
    g.expect(not untagged, f"{len(untagged)} of {len(objects)} object(s) lack the tag classification=confidential, "
                           f"e.g. {untagged[:3]}", f"all {len(objects)} objects tagged classification=confidential")


def check_lifecycle(g: Grader) -> None:
    bucket = "ex06-raw-archive"
    s3 = need_bucket(g, bucket)
    try:
        rules = s3.get_bucket_lifecycle_configuration(Bucket=bucket)["Rules"]
    except s3.exceptions.ClientError:
        rules = []
    g.need(rules, f"bucket {bucket} has no lifecycle configuration (put_bucket_lifecycle_configuration)")

    def prefix_of(rule: dict) -> str:
        filt = rule.get("Filter", {})
        return filt.get("Prefix", filt.get("And", {}).get("Prefix", rule.get("Prefix", "")))

    raw = [r for r in rules if r.get("Status") == "Enabled" and prefix_of(r) == "raw/"]
    g.need(raw, "no Enabled lifecycle rule filters on the prefix raw/")
    rule = raw[0]
    glacier = [t for t in rule.get("Transitions", []) if t.get("StorageClass") in ("GLACIER", "DEEP_ARCHIVE")]
    g.expect(glacier and glacier[0].get("Days") == 30,
             f"the raw/ rule has no transition to GLACIER after 30 days (found {rule.get('Transitions', [])})",
             "raw/ moves to GLACIER after 30 days")
    g.expect(rule.get("Expiration", {}).get("Days") == 365,
             f"the raw/ rule does not expire objects after 365 days (found {rule.get('Expiration')})",
             "raw/ expires after 365 days")


def _function_arn(g: Grader, name: str) -> str:
    found = lookup(g.client("lambda").get_function, FunctionName=name)
    g.need(found, f"Lambda function {name} does not exist (lambda.create_function)", f"function {name} exists")
    return found["Configuration"]["FunctionArn"]


def check_s3_event_lambda(g: Grader) -> None:
    import json

    bucket, name = "ex30-uploads", "ex30-register-upload"
    arn = _function_arn(g, name)
    s3 = need_bucket(g, bucket)
    config = s3.get_bucket_notification_configuration(Bucket=bucket)
    wired = [c for c in config.get("LambdaFunctionConfigurations", []) if c.get("LambdaFunctionArn") == arn]
    g.need(wired, f"bucket {bucket} sends no event notification to {name} "
                  "(put_bucket_notification_configuration with LambdaFunctionConfigurations)",
           f"{bucket} notifies {name}")
    rule = wired[0]
    g.expect(any(e in ("s3:ObjectCreated:*", "s3:ObjectCreated:Put") for e in rule.get("Events", [])),
             f"the notification fires on {rule.get('Events')}, not on object creation (s3:ObjectCreated:*)",
             "fires on s3:ObjectCreated")
    filters = {f["Name"].lower(): f["Value"] for f in rule.get("Filter", {}).get("Key", {}).get("FilterRules", [])}
    g.expect(filters.get("prefix") == "incoming/",
             f"the notification filters on {filters or 'nothing'}: filter on the prefix incoming/ (or every "
             "manifest the function writes would invoke it again)", "filtered on prefix incoming/")
    uploads = [o["Key"] for o in list_keys(s3, bucket, "incoming/") if o["Key"].endswith(".csv")]
    g.need(uploads, f"no CSV uploaded under s3://{bucket}/incoming/ yet: upload one and let the function run")
    wrong = []
    for key in uploads:
        manifest = lookup(s3.get_object, Bucket=bucket, Key=f"manifests/{key.rsplit('/', 1)[-1]}.json")
        if manifest is None:
            wrong.append(f"{key}: no manifests/{key.rsplit('/', 1)[-1]}.json")
            continue
        try:
            doc = json.loads(manifest["Body"].read())
        except ValueError:
            wrong.append(f"{key}: the manifest is not JSON")
            continue
        lines = [line for line in s3.get_object(Bucket=bucket, Key=key)["Body"].read().decode().splitlines()
                 if line.strip()]
        if doc.get("key") != key or doc.get("rows") != max(len(lines) - 1, 0):
            wrong.append(f"{key}: manifest says key={doc.get('key')!r} rows={doc.get('rows')!r}, expected "
                         f"key={key!r} rows={max(len(lines) - 1, 0)}")
    g.expect(not wrong, f"{len(wrong)} of {len(uploads)} upload(s) have no correct manifest: {wrong[:3]}",
             f"{len(uploads)} upload(s), each with its manifest written by the function")


def _statements(policy: dict) -> list[dict]:
    found = policy.get("Statement", [])
    return [found] if isinstance(found, dict) else list(found)


def _as_list(value) -> list:
    return value if isinstance(value, list) else [value]


def check_bucket_policy(g: Grader) -> None:
    import json

    bucket = "ex31-confidential"
    s3 = need_bucket(g, bucket)
    found = lookup(s3.get_bucket_policy, Bucket=bucket)
    g.need(found, f"bucket {bucket} has no bucket policy (put_bucket_policy)", "a bucket policy is set")
    statements = [st for st in _statements(json.loads(found["Policy"])) if st.get("Effect") == "Deny"]

    def denies(action_ok, condition_ok) -> bool:
        return any(any(action_ok(a) for a in _as_list(st.get("Action", []))) and condition_ok(st.get("Condition", {}))
                   for st in statements)

    def insecure(condition: dict) -> bool:
        return str(condition.get("Bool", {}).get("aws:SecureTransport", "")).lower() == "false"

    def not_kms(condition: dict) -> bool:
        for operator in ("StringNotEquals", "StringNotEqualsIfExists"):
            values = _as_list(condition.get(operator, {}).get("s3:x-amz-server-side-encryption", []))
            if "aws:kms" in values or "aws:kms:dsse" in values:
                return True
        return str(condition.get("Null", {}).get("s3:x-amz-server-side-encryption", "")).lower() == "true"

    g.expect(denies(lambda a: a in ("s3:*", "*"), insecure),
             "no Deny statement for s3:* with the condition Bool aws:SecureTransport = false: requests without TLS "
             "are still allowed", "requests without TLS are denied")
    g.expect(denies(lambda a: a in ("s3:PutObject", "s3:*", "*"), not_kms),
             "no Deny statement for s3:PutObject with the condition StringNotEquals "
             "s3:x-amz-server-side-encryption = aws:kms: uploads without SSE-KMS are still allowed",
             "uploads without SSE-KMS are denied by the policy")
    probe = "_exercise-check/ex31-plain.txt"
    try:
        s3.put_object(Bucket=bucket, Key=probe, Body=b"probe")
    except s3.exceptions.ClientError as exc:
        g.expect(exc.response["Error"]["Code"] == "AccessDenied",
                 f"an unencrypted upload failed with {exc.response['Error']['Code']}, not AccessDenied",
                 "an unencrypted upload is refused with AccessDenied")
    else:
        s3.delete_object(Bucket=bucket, Key=probe)
        g.expect(False, "an upload without SSE-KMS still succeeds: the policy does not deny it")


EXERCISES = [
    Exercise(1, "kms-default-encryption", "S3, KMS", "Encrypt a bucket by default with a customer managed key",
             "A compliance team requires that every new object written to the bucket `ex01-secure-lake` is "
             "encrypted at rest with a customer managed KMS key whose alias is `alias/ex01-lake-key`, "
             "without the writers having to ask for it.",
             ("SSE-S3 vs SSE-KMS vs SSE-C", "default bucket encryption", "customer managed vs AWS managed keys"),
             ("kms.create_key, kms.create_alias", "s3.put_bucket_encryption with SSEAlgorithm aws:kms and "
              "KMSMasterKeyID"), check_kms_default, NOTEBOOK, ("s3", "kms")),
    Exercise(2, "versioning", "S3", "Keep every version of a model artifact",
             "Data scientists overwrite `s3://ex02-model-artifacts/models/churn/model.tar.gz` when they retrain. "
             "Make sure an older model can always be restored, and upload the artifact at least twice.",
             ("S3 versioning", "recovering from overwrites and deletes"),
             ("s3.put_bucket_versioning(VersioningConfiguration={'Status': 'Enabled'})",),
             check_versioning, NOTEBOOK, ("s3",)),
    Exercise(3, "block-public-access", "S3", "Block all public access to a bucket",
             "The bucket `ex03-private-data` holds personal data. Guarantee that no ACL or bucket policy can ever "
             "make it public.",
             ("S3 Block Public Access (four settings)", "securing a data lake"),
             ("s3.put_public_access_block",), check_public_access, NOTEBOOK, ("s3",)),
    Exercise(4, "partitioned-parquet", "S3", "Store sales partitioned by year/month/day as Parquet",
             "Store the sales (orders) data in `s3://ex04-sales-lake/sales/` as Parquet files partitioned by "
             "`year=YYYY/month=MM/day=DD/` so that queries for one day read only that day's files: every order in "
             "the folder of its `order_ts` day (keep the order_ts column). At least five days.",
             ("partitioning for query performance and cost", "columnar formats (Parquet) vs CSV/JSON"),
             ("sandbox.datasets.generate('tiny')['orders']", "sandbox.lake.write_partitioned"),
             check_partitioned_parquet, NOTEBOOK, ("s3",)),
    Exercise(5, "object-tags", "S3", "Tag confidential objects",
             "Every object under `s3://ex05-hr-data/employees/` must carry the tag `classification=confidential` "
             "so that access and lifecycle policies can select them.",
             ("S3 object tags for security and lifecycle",),
             ("put_object(Tagging='classification=confidential') or put_object_tagging",),
             check_tags, NOTEBOOK, ("s3",)),
    Exercise(6, "lifecycle", "S3", "Archive then expire raw data",
             "Objects under `raw/` in the bucket `ex06-raw-archive` are rarely read after a month. Move them to "
             "S3 Glacier after 30 days and delete them after 365 days, automatically.",
             ("S3 storage classes", "lifecycle rules: transitions and expiration"),
             ("s3.put_bucket_lifecycle_configuration with a Filter on Prefix raw/",),
             check_lifecycle, NOTEBOOK, ("s3",)),
    Exercise(30, "s3-event-lambda", "S3, Lambda", "Process every upload with an S3 event notification",
             "Every CSV file uploaded under `incoming/` in the bucket `ex30-uploads` must be registered at once, "
             "without polling: the Lambda function `ex30-register-upload` writes "
             "`manifests/<file name>.json` holding `{\"key\": <the object key>, \"rows\": <data rows, header "
             "excluded>}`. Wire the bucket to the function and upload at least one CSV.",
             ("S3 event notifications to Lambda (event-driven ingestion)", "prefix/suffix filters avoid "
              "recursive invocations", "the S3 event record (bucket, URL-encoded key)"),
             ("lambda.create_function (Python, boto3 inside)",
              "s3.put_bucket_notification_configuration(NotificationConfiguration={'LambdaFunctionConfigurations': "
              "[{'LambdaFunctionArn': ..., 'Events': ['s3:ObjectCreated:*'], 'Filter': {'Key': {'FilterRules': "
              "[{'Name': 'prefix', 'Value': 'incoming/'}]}}}]})", "urllib.parse.unquote_plus(the event's key)"),
             check_s3_event_lambda, NOTEBOOK, ("lambda", "s3")),
    Exercise(31, "bucket-policy-tls-kms", "S3, IAM", "Refuse unencrypted uploads and plain-HTTP requests",
             "The bucket `ex31-confidential` must refuse, whoever asks, any request that does not use TLS and any "
             "upload that is not encrypted with SSE-KMS. Default encryption alone is not enough: the auditors want "
             "the bucket policy to deny it.",
             ("bucket policies: explicit Deny with conditions", "aws:SecureTransport (encryption in transit)",
              "s3:x-amz-server-side-encryption (encryption at rest enforced on upload)"),
             ("s3.put_bucket_policy with two Deny statements: s3:* when Bool aws:SecureTransport = false, "
              "s3:PutObject when StringNotEquals s3:x-amz-server-side-encryption = aws:kms",
              "Resource: the bucket ARN and arn:aws:s3:::ex31-confidential/*"),
             check_bucket_policy, NOTEBOOK, ("s3",)),
]
