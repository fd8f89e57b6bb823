"""The console in a real headless Chromium (Debian's chromium + chromium-driver, driven by Selenium):
the flows a learner follows, each checked against what boto3 returns for the same resource.

Screenshots go to the test's tmp folder, and to ``$CONSOLE_SCREENSHOTS`` (``docs/console``) when set.
"""

from __future__ import annotations

import json
import time

import pytest

from .conftest import screenshot

pytestmark = pytest.mark.slow  # a Chromium per worker, pages that load and poll
ROLE = "arn:aws:iam::123456789012:role/sandbox-console"


def wait_css(driver, selector: str, timeout: float = 60.0):
    """The element once it is on the page (pages that are still working reload themselves)."""
    from selenium.common.exceptions import NoSuchElementException, StaleElementReferenceException

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            return driver.find_element("css selector", selector)
        except (NoSuchElementException, StaleElementReferenceException):
            time.sleep(0.25)
    raise AssertionError(f"{selector} not on {driver.current_url} after {timeout} s:\n{driver.page_source[:3000]}")


def click_link(driver, text: str) -> None:
    driver.find_element("link text", text).click()


def test_overview_shows_each_service_with_its_counts(aws, s3_bucket, browser, console, tmp_path):
    browser.get(console.url())
    assert browser.title.startswith("Console Home")
    cards = {c.get_attribute("data-service") for c in browser.find_elements("css selector", ".card")}
    assert {"S3", "Glue", "Athena", "Step Functions", "SageMaker AI", "CloudWatch", "Lambda"} <= cards
    buckets = len(aws.client("s3").list_buckets()["Buckets"])
    s3_card = browser.find_element("css selector", '.card[data-service="S3"] .n')
    assert int(s3_card.text) == buckets
    assert s3_bucket in browser.find_element("css selector", "main").text  # recent activity: the new bucket
    screenshot(browser, "overview", tmp_path)


def test_object_shows_its_kms_key_tags_and_rows(aws, s3_bucket, browser, console, tmp_path):
    s3, kms = aws.client("s3"), aws.client("kms")
    key = kms.create_key(Description="console test key")["KeyMetadata"]
    s3.put_object(Bucket=s3_bucket, Key="raw/orders/2026/orders.csv",
                  Body=b"order_id,customer,amount\n1001,ada,12.50\n1002,grace,7.25\n1003,alan,99.00\n",
                  ServerSideEncryption="aws:kms", SSEKMSKeyId=key["Arn"], Tagging="team=data&tier=raw",
                  Metadata={"source": "pos"}, ContentType="text/csv")
    head = s3.head_object(Bucket=s3_bucket, Key="raw/orders/2026/orders.csv")

    browser.get(console.url("s3/"))
    click_link(browser, s3_bucket)
    click_link(browser, "raw/")
    click_link(browser, "orders/")
    click_link(browser, "2026/")
    click_link(browser, "orders.csv")
    text = wait_css(browser, "main").text
    assert "aws:kms" in text and head["SSEKMSKeyId"] in text
    tags = [row.text for row in browser.find_elements("xpath", "//section[.//h2[starts-with(., 'Tags')]]//tbody/tr")]
    assert sorted(tags) == ["team data", "tier raw"]
    assert "x-amz-meta-source pos" in text
    preview = browser.find_elements("css selector", "table.preview tbody tr")
    assert [r.text for r in preview] == ["1001 ada 12.50", "1002 grace 7.25", "1003 alan 99.00"]
    headers = [h.text for h in browser.find_elements("css selector", "table.preview th")]
    assert headers == ["order_id", "customer", "amount"]
    screenshot(browser, "s3-object", tmp_path)


def _athena_setup(aws, bucket: str, database: str) -> None:
    s3, athena = aws.client("s3"), aws.client("athena")
    rows = "\n".join(f"{i},{['north', 'south', 'east'][i % 3]},{i * 1.5}" for i in range(1, 31))
    s3.put_object(Bucket=bucket, Key="sales/part-0.csv", Body=("id,region,amount\n" + rows + "\n").encode())
    for sql in (f"CREATE DATABASE {database}",
                f"CREATE EXTERNAL TABLE {database}.sales (id int, region string, amount double) "
                f"ROW FORMAT DELIMITED FIELDS TERMINATED BY ',' LOCATION 's3://{bucket}/sales/' "
                "TBLPROPERTIES ('skip.header.line.count'='1')"):
        qid = athena.start_query_execution(QueryString=sql, ResultConfiguration={
            "OutputLocation": f"s3://{bucket}/results/"})["QueryExecutionId"]
        for _ in range(200):
            state = athena.get_query_execution(QueryExecutionId=qid)["QueryExecution"]["Status"]
            if state["State"] in ("SUCCEEDED", "FAILED", "CANCELLED"):
                break
            time.sleep(0.1)
        assert state["State"] == "SUCCEEDED", state


def test_athena_query_from_the_editor_shows_rows_and_data_scanned(aws, s3_bucket, browser, console, unique_name,
                                                                  tmp_path):
    from selenium.webdriver.support.ui import Select

    database = f"console_{unique_name}"
    _athena_setup(aws, s3_bucket, database)
    browser.get(console.url("athena/"))
    Select(browser.find_element("id", "database")).select_by_visible_text(database)
    output = browser.find_element("id", "output")
    output.clear()
    output.send_keys(f"s3://{s3_bucket}/results/")
    sql = browser.find_element("id", "sql")
    sql.clear()
    sql.send_keys("SELECT region, count(*) AS orders, sum(amount) AS revenue FROM sales GROUP BY region ORDER BY region")
    browser.find_element("css selector", "#run button[type=submit]").click()
    table = wait_css(browser, "table.results")
    assert [h.text for h in table.find_elements("css selector", "th")] == ["region", "orders", "revenue"]
    rows = [r.text.split() for r in table.find_elements("css selector", "tbody tr")]
    assert [r[:2] for r in rows] == [["east", "10"], ["north", "10"], ["south", "10"]]
    qid = browser.current_url.rsplit("query=", 1)[-1]
    execution = aws.client("athena").get_query_execution(QueryExecutionId=qid)["QueryExecution"]
    scanned = execution["Statistics"]["DataScannedInBytes"]
    assert scanned > 0
    status = browser.find_element("id", "query-status").text
    assert "SUCCEEDED" in status
    assert f"Data scanned\n{scanned} B" in status or f"Data scanned\n{scanned / 1024:.1f} KB" in status
    screenshot(browser, "athena-query-editor", tmp_path)


def test_step_functions_execution_graph_marks_the_failed_state(aws, browser, console, unique_name, tmp_path):
    sfn = aws.client("stepfunctions")
    definition = {
        "StartAt": "Prepare",
        "States": {
            "Prepare": {"Type": "Pass", "Result": {"bucket": "no-such-bucket-anywhere"}, "ResultPath": "$.source",
                        "Next": "Read"},
            "Read": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:s3:getObject",
                     "Parameters": {"Bucket.$": "$.source.bucket", "Key": "x"},
                     "Catch": [{"ErrorEquals": ["States.ALL"], "Next": "Failed", "ResultPath": "$.error"}],
                     "Next": "Done"},
            "Done": {"Type": "Succeed"},
            "Failed": {"Type": "Fail", "Error": "InputMissing", "Cause": "the input object is not there"},
        },
    }
    arn = sfn.create_state_machine(name=unique_name, definition=json.dumps(definition), roleArn=ROLE)["stateMachineArn"]
    execution = sfn.start_execution(stateMachineArn=arn, name="run-1")["executionArn"]
    for _ in range(300):
        if sfn.describe_execution(executionArn=execution)["status"] != "RUNNING":
            break
        time.sleep(0.1)
    assert sfn.describe_execution(executionArn=execution)["status"] == "FAILED"

    browser.get(console.url("stepfunctions/"))
    click_link(browser, unique_name)
    click_link(browser, "run-1")
    wait_css(browser, "svg.graph")
    status = {n.get_attribute("data-state"): n.get_attribute("data-status")
              for n in browser.find_elements("css selector", "svg.graph g.node")}
    assert status == {"Prepare": "succeeded", "Read": "caught", "Failed": "failed", "Done": "not-run"}
    events = [r.find_elements("css selector", "td")[1].text
              for r in browser.find_elements("xpath", "//section[.//h2[starts-with(., 'Events')]]//tbody/tr")]
    history = [e["type"] for e in sfn.get_execution_history(executionArn=execution, maxResults=1000)["events"]]
    assert events == history and events[-1] == "ExecutionFailed"
    screenshot(browser, "stepfunctions-execution", tmp_path)


@pytest.mark.slow
def test_endpoint_invoke_form_shows_the_prediction(aws, s3_bucket, browser, console, unique_name, tmp_path):
    # a training job of its own: the training tab lists the newest 100 jobs, and this one must be among them
    from tests.helpers.sagemaker import SKLEARN_IMAGE, csv_bytes, put_dataset, train, wait_endpoint

    sm, runtime = aws.client("sagemaker"), aws.client("sagemaker-runtime")
    bucket, x = s3_bucket, put_dataset(aws.client("s3"), s3_bucket)["x"]
    job = train(sm, unique_name, bucket)
    assert job["TrainingJobStatus"] == "Completed", job.get("FailureReason")
    sm.create_model(ModelName=unique_name, ExecutionRoleArn="arn:aws:iam::123456789012:role/sagemaker-role",
                    PrimaryContainer={"Image": SKLEARN_IMAGE, "ModelDataUrl": job["ModelArtifacts"]["S3ModelArtifacts"],
                                      "Environment": {"SAGEMAKER_PROGRAM": "train.py",
                                                      "SAGEMAKER_SUBMIT_DIRECTORY": f"s3://{bucket}/code/sourcedir.tar.gz"}})
    sm.create_endpoint_config(EndpointConfigName=unique_name, ProductionVariants=[{
        "VariantName": "AllTraffic", "ModelName": unique_name, "InitialInstanceCount": 1,
        "InstanceType": "ml.m5.large"}])
    sm.create_endpoint(EndpointName=unique_name, EndpointConfigName=unique_name)
    endpoint = wait_endpoint(sm, unique_name)
    assert endpoint["EndpointStatus"] == "InService", endpoint.get("FailureReason")
    rows = csv_bytes(x[:3]).decode().strip()
    expected = runtime.invoke_endpoint(EndpointName=unique_name, ContentType="text/csv", Accept="text/csv",
                                       Body=rows.encode())["Body"].read().decode().split()

    browser.get(console.url("sagemaker/?tab=endpoints"))
    click_link(browser, unique_name)
    body = browser.find_element("id", "body")
    body.clear()
    body.send_keys(rows)
    browser.find_element("css selector", "#invoke button[type=submit]").click()
    prediction = wait_css(browser, "#prediction pre.code").text.split()
    assert prediction == expected and len(prediction) == 3
    assert set(prediction) <= {"0", "1"}
    screenshot(browser, "sagemaker-endpoint", tmp_path)

    # the training job's page: its status, its metric-free settings, and the script's log lines from CloudWatch
    browser.get(console.url("sagemaker/?tab=training"))
    click_link(browser, unique_name)
    text = wait_css(browser, "main").text
    assert "Completed" in text and job["ModelArtifacts"]["S3ModelArtifacts"] in text
    assert "train_accuracy=" in text
