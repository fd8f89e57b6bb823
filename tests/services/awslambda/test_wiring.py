"""Where AWS calls Lambda: Firehose transformations, Step Functions tasks, S3 event notifications."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.helpers.awslambda import create, wait_for

TRANSFORM = """
import base64, json

def handler(event, context):
    assert event["deliveryStreamArn"].startswith("arn:aws:firehose:") and event["region"] == "us-east-1"
    assert event["invocationId"]
    out = []
    for record in event["records"]:
        assert record["approximateArrivalTimestamp"] > 0
        doc = json.loads(base64.b64decode(record["data"]))
        if doc["kind"] == "drop":
            out.append({"recordId": record["recordId"], "result": "Dropped", "data": record["data"]})
        elif doc["kind"] == "bad":
            out.append({"recordId": record["recordId"], "result": "ProcessingFailed", "data": record["data"]})
        elif doc["kind"] == "lost":
            continue  # no answer for this record: Firehose reports it as missing
        else:
            doc["enriched"] = True
            data = base64.b64encode((json.dumps(doc) + "\\n").encode()).decode()
            out.append({"recordId": record["recordId"], "result": "Ok", "data": data})
    return {"records": out}
"""


def objects(s3, bucket, prefix=""):
    return sorted(o["Key"] for o in s3.list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", []))


def transforming_stream(firehose, name, bucket, function_arn, *, retries=None, **destination):
    """A DirectPut delivery stream to ``bucket`` whose records go through the Lambda function first."""
    parameters = [{"ParameterName": "LambdaArn", "ParameterValue": function_arn}]
    if retries is not None:
        parameters.append({"ParameterName": "NumberOfRetries", "ParameterValue": str(retries)})
    firehose.create_delivery_stream(
        DeliveryStreamName=name, DeliveryStreamType="DirectPut",
        ExtendedS3DestinationConfiguration={
            "RoleARN": "arn:aws:iam::123456789012:role/firehose", "BucketARN": f"arn:aws:s3:::{bucket}",
            **destination,
            "ProcessingConfiguration": {"Enabled": True, "Processors": [{"Type": "Lambda",
                                                                          "Parameters": parameters}]}})


def test_firehose_transformation_ok_dropped_failed_and_missing(aws, s3_bucket, unique_name):
    lam, firehose, s3 = aws.client("lambda"), aws.client("firehose"), aws.client("s3")
    arn = create(lam, unique_name, TRANSFORM)["FunctionArn"]
    transforming_stream(firehose, unique_name, s3_bucket, arn, Prefix="ok/", ErrorOutputPrefix="failed/",
                        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
    kinds = ["keep", "drop", "bad", "keep", "lost"]
    firehose.put_record_batch(DeliveryStreamName=unique_name,
                              Records=[{"Data": json.dumps({"id": i, "kind": k}).encode()} for i, k in enumerate(kinds)])
    delivered = wait_for(lambda: objects(s3, s3_bucket, "ok/"))
    failed = wait_for(lambda: objects(s3, s3_bucket, "failed/"))
    lines = s3.get_object(Bucket=s3_bucket, Key=delivered[0])["Body"].read().decode().splitlines()
    assert [json.loads(line) for line in lines] == [{"id": 0, "kind": "keep", "enriched": True},
                                                    {"id": 3, "kind": "keep", "enriched": True}]
    errors = [json.loads(line) for key in failed
              for line in s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read().decode().splitlines()]
    by_id = {json.loads(base64.b64decode(e["rawData"]))["id"]: e for e in errors}
    assert sorted(by_id) == [2, 4]  # the dropped record is gone, not an error
    assert by_id[2]["errorCode"] == "Lambda.ProcessingFailedStatus" and by_id[2]["lambdaArn"] == arn
    assert by_id[4]["errorCode"] == "Lambda.MissingRecordId"
    assert all(key.startswith("failed/") for key in failed)


def test_firehose_transformation_function_error(aws, s3_bucket, unique_name):
    lam, firehose, s3 = aws.client("lambda"), aws.client("firehose"), aws.client("s3")
    arn = create(lam, unique_name, "def handler(event, context):\n    raise RuntimeError('cannot transform')\n")[
        "FunctionArn"]
    transforming_stream(firehose, unique_name, s3_bucket, arn, retries=1, Prefix="ok/", ErrorOutputPrefix="failed/",
                        BufferingHints={"SizeInMBs": 1, "IntervalInSeconds": 0})
    firehose.put_record(DeliveryStreamName=unique_name, Record={"Data": b'{"id": 1}'})
    key = wait_for(lambda: objects(s3, s3_bucket, "failed/"))[0]
    error = json.loads(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read())
    assert error["errorCode"] == "Lambda.FunctionError" and "cannot transform" in error["errorMessage"]
    assert error["attemptsMade"] == 2
    assert objects(s3, s3_bucket, "ok/") == []


@pytest.mark.slow
def test_step_functions_lambda_tasks(aws, unique_name):
    from tests.helpers.stepfunctions import ROLE as SFN_ROLE, wait_for_execution

    lam, sfn = aws.client("lambda"), aws.client("stepfunctions")
    double = create(lam, f"{unique_name}-double", "def handler(event, context):\n"
                                                  "    return {'value': event['value'] * 2}\n")["FunctionArn"]
    label = create(lam, f"{unique_name}-label", "def handler(event, context):\n"
                                                "    return {'label': 'big' if event['value'] > 10 else 'small',\n"
                                                "            'value': event['value']}\n")["FunctionArn"]
    definition = {
        "StartAt": "Double",
        "States": {
            "Double": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                       "Parameters": {"FunctionName": double, "Payload.$": "$"},
                       "OutputPath": "$.Payload", "Next": "Label"},
            "Label": {"Type": "Task", "Resource": label, "End": True},
        },
    }
    machine = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=SFN_ROLE)[
        "stateMachineArn"]
    run = sfn.start_execution(stateMachineArn=machine, input=json.dumps({"value": 7}))["executionArn"]
    result = wait_for_execution(sfn, run, timeout=30)
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    assert json.loads(result["output"]) == {"label": "big", "value": 14}


@pytest.mark.slow
def test_step_functions_lambda_error_is_catchable(aws, unique_name):
    from tests.helpers.stepfunctions import ROLE as SFN_ROLE, wait_for_execution

    lam, sfn = aws.client("lambda"), aws.client("stepfunctions")
    failing = create(lam, unique_name, "class BadInput(Exception):\n    pass\n"
                                       "def handler(event, context):\n    raise BadInput('no value')\n")["FunctionArn"]
    definition = {
        "StartAt": "Work",
        "States": {
            "Work": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                     "Parameters": {"FunctionName": failing, "Payload.$": "$"},
                     "Catch": [{"ErrorEquals": ["BadInput"], "ResultPath": "$.error", "Next": "Handled"}],
                     "End": True},
            "Handled": {"Type": "Pass", "End": True},
        },
    }
    machine = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=SFN_ROLE)[
        "stateMachineArn"]
    result = wait_for_execution(sfn, sfn.start_execution(stateMachineArn=machine, input="{}")["executionArn"],
                                timeout=30)
    assert result["status"] == "SUCCEEDED", (result.get("error"), result.get("cause"))
    error = json.loads(result["output"])["error"]
    assert error["Error"] == "BadInput" and json.loads(error["Cause"])["errorMessage"] == "no value"


def test_s3_event_notification_invokes_the_function(aws, s3_bucket, unique_name):
    lam, s3 = aws.client("lambda"), aws.client("s3")
    arn = create(lam, unique_name, "import boto3, json\n"
                                   "def handler(event, context):\n"
                                   "    record = event['Records'][0]\n"
                                   "    boto3.client('s3').put_object(Bucket=record['s3']['bucket']['name'],\n"
                                   "        Key='seen/' + record['s3']['object']['key'].replace('/', '_'),\n"
                                   "        Body=json.dumps(event))\n")["FunctionArn"]
    s3.put_bucket_notification_configuration(Bucket=s3_bucket, NotificationConfiguration={
        "LambdaFunctionConfigurations": [{"Id": "on-upload", "LambdaFunctionArn": arn, "Events": ["s3:ObjectCreated:*"],
                                          "Filter": {"Key": {"FilterRules": [{"Name": "prefix",
                                                                              "Value": "incoming/"}]}}}]})
    s3.put_object(Bucket=s3_bucket, Key="incoming/day 1.csv", Body=b"a,b\n1,2\n")
    s3.put_object(Bucket=s3_bucket, Key="other/ignored.csv", Body=b"x")
    key = wait_for(lambda: objects(s3, s3_bucket, "seen/"))[0]
    assert key == "seen/incoming_day+1.csv"  # the event's key is URL-encoded, as on AWS
    record = json.loads(s3.get_object(Bucket=s3_bucket, Key=key)["Body"].read())["Records"][0]
    assert record["eventSource"] == "aws:s3" and record["eventName"] == "ObjectCreated:Put"
    assert record["awsRegion"] == "us-east-1" and record["s3"]["configurationId"] == "on-upload"
    assert record["s3"]["bucket"]["name"] == s3_bucket and record["s3"]["bucket"]["arn"] == f"arn:aws:s3:::{s3_bucket}"
    assert record["s3"]["object"]["size"] == 8 and record["s3"]["object"]["eTag"]
    assert {"userIdentity", "requestParameters", "responseElements"} <= set(record)
    assert "sequencer" in record["s3"]["object"]
    time.sleep(0.5)
    assert objects(s3, s3_bucket, "seen/") == [key]  # the other prefix did not match the filter


def test_sns_subscription_runs_the_function(aws, s3_bucket, unique_name):
    lam, sns, s3 = aws.client("lambda"), aws.client("sns"), aws.client("s3")
    arn = create(lam, unique_name, "import boto3, os\n"
                                   "def handler(event, context):\n"
                                   "    message = event['Records'][0]['Sns']['Message']\n"
                                   "    boto3.client('s3').put_object(Bucket=os.environ['BUCKET'], Key='sns.txt',\n"
                                   "                                  Body=message.encode())\n",
                 Environment={"Variables": {"BUCKET": s3_bucket}})["FunctionArn"]
    topic = sns.create_topic(Name=unique_name)["TopicArn"]
    sns.subscribe(TopicArn=topic, Protocol="lambda", Endpoint=arn)
    sns.publish(TopicArn=topic, Message="hello from sns")
    wait_for(lambda: objects(s3, s3_bucket, "sns.txt"))
    assert s3.get_object(Bucket=s3_bucket, Key="sns.txt")["Body"].read() == b"hello from sns"


def test_firehose_partition_keys_from_lambda(aws, s3_bucket, unique_name):
    lam, firehose, s3 = aws.client("lambda"), aws.client("firehose"), aws.client("s3")
    arn = create(lam, unique_name, "import base64, json\n"
                                   "def handler(event, context):\n"
                                   "    out = []\n"
                                   "    for r in event['records']:\n"
                                   "        doc = json.loads(base64.b64decode(r['data']))\n"
                                   "        item = {'recordId': r['recordId'], 'result': 'Ok', 'data': r['data']}\n"
                                   "        if 'customer' in doc:\n"
                                   "            item['metadata'] = {'partitionKeys': {'customer': doc['customer']}}\n"
                                   "        out.append(item)\n"
                                   "    return {'records': out}\n")["FunctionArn"]
    transforming_stream(firehose, unique_name, s3_bucket, arn,
                        Prefix="by-customer/customer=!{partitionKeyFromLambda:customer}/",
                        ErrorOutputPrefix="errors/!{firehose:error-output-type}/",
                        BufferingHints={"SizeInMBs": 64, "IntervalInSeconds": 0},
                        DynamicPartitioningConfiguration={"Enabled": True})
    records = [{"customer": "a", "n": 1}, {"customer": "b", "n": 2}, {"customer": "a", "n": 3}, {"n": 4}]
    firehose.put_record_batch(DeliveryStreamName=unique_name,
                              Records=[{"Data": json.dumps(r).encode() + b"\n"} for r in records])
    keys = wait_for(lambda: (k := objects(s3, s3_bucket, "by-customer/")) and len(k) == 2 and k)
    assert [k.split("/")[1] for k in keys] == ["customer=a", "customer=b"]
    first = s3.get_object(Bucket=s3_bucket, Key=keys[0])["Body"].read().decode().splitlines()
    assert [json.loads(line)["n"] for line in first] == [1, 3]
    failed = wait_for(lambda: objects(s3, s3_bucket, "errors/partitioning-failed/"))
    error = json.loads(s3.get_object(Bucket=s3_bucket, Key=failed[0])["Body"].read())
    assert json.loads(base64.b64decode(error["rawData"]))["n"] == 4
