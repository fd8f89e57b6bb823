"""Names from requests are validated as AWS validates them and never become paths outside the state folder."""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
from botocore.config import Config
from botocore.exceptions import ClientError

from emulators.core.paths import PathOutsideState, inside, safe_name, state_path


@pytest.mark.parametrize("name", ["..", ".", "../../etc/passwd", "a/b", "", "x" * 400, "%2e%2e", "日本語"])
def test_any_name_maps_to_one_file_inside_the_folder(tmp_path, name):
    path = state_path(tmp_path, name)
    assert path.parent == tmp_path and path.name not in (".", "..") and "/" not in path.name
    assert len(path.name.encode()) <= 255


def test_safe_names_never_collide():
    names = ["a/b", "a_b", "a%2Fb", "..", "%2E%2E", ".", "a b", "a+b"]
    assert len({safe_name(n) for n in names}) == len(names)


def test_inside_refuses_escapes(tmp_path):
    assert inside(tmp_path, "jobs/x") == (tmp_path / "jobs/x").resolve()
    with pytest.raises(PathOutsideState):
        inside(tmp_path, "../x")
    with pytest.raises(PathOutsideState):
        inside(tmp_path, "/etc/passwd")


def test_a_glue_job_named_like_a_path_cannot_read_or_delete_host_files(aws, tmp_path):
    victim = tmp_path / "victim.json"
    victim.write_text(json.dumps({"JobName": "stolen", "Version": 7, "Run": 7, "Attempt": 0}))
    name = "../" * 12 + str(victim.with_suffix("")).lstrip("/")
    glue = aws.client("glue")
    glue.create_job(Name=name, Role="arn:aws:iam::123456789012:role/glue",
                    Command={"Name": "glueetl", "ScriptLocation": "s3://nowhere/job.py"})
    try:
        entry = glue.get_job_bookmark(JobName=name)["JobBookmarkEntry"]
        assert entry.get("Version") != 7  # the victim's content was not read
        glue.reset_job_bookmark(JobName=name)
        assert victim.exists()  # and not deleted
    finally:
        glue.delete_job(JobName=name)


@pytest.mark.parametrize("identifier", ["..", "../esc", "-lead", "trail-", "two--hyphens", "a" * 64])
def test_redshift_refuses_cluster_identifiers_redshift_refuses(aws, identifier):
    with pytest.raises(ClientError) as caught:
        aws.client("redshift").create_cluster(ClusterIdentifier=identifier, NodeType="ra3.xlplus",
                                              MasterUsername="awsuser", MasterUserPassword="Sandbox-Passw0rd")
    assert caught.value.response["Error"]["Code"] == "InvalidParameterValue"


def test_names_are_checked_against_the_service_model(aws):
    sagemaker = aws.client("sagemaker", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as caught:
        sagemaker.describe_training_job(TrainingJobName="../../etc")
    error = caught.value.response["Error"]
    assert error["Code"] == "ValidationException"
    assert "at 'trainingJobName' failed to satisfy constraint: Member must satisfy regular expression" in \
        error["Message"]
    glue = aws.client("glue", config=Config(parameter_validation=False))
    with pytest.raises(ClientError) as caught:
        glue.create_job(Name=None, Role="r", Command={"Name": "glueetl"})
    assert caught.value.response["Error"]["Code"] == "ValidationException"
    assert "Value null at 'name'" in caught.value.response["Error"]["Message"]
    assert "None" not in [j for j in glue.list_jobs()["JobNames"]]
    with pytest.raises(ClientError) as caught:
        glue.create_database(DatabaseInput={"Name": "x" * 300})
    assert "less than or equal to 255" in caught.value.response["Error"]["Message"]


def test_emr_steps_run_scripts_from_s3_only(aws, tmp_path):
    script = tmp_path / "local.py"
    script.write_text("open('/tmp/should-not-run', 'w')")
    emr = aws.client("emr")
    cluster = emr.run_job_flow(Name=f"guard-{uuid.uuid4().hex[:6]}", ReleaseLabel="emr-7.1.0",
                               Instances={"InstanceCount": 1, "MasterInstanceType": "m5.xlarge",
                                          "KeepJobFlowAliveWhenNoSteps": True},
                               Steps=[{"Name": "local", "ActionOnFailure": "CONTINUE",
                                       "HadoopJarStep": {"Jar": "command-runner.jar",
                                                         "Args": ["spark-submit", str(script)]}}],
                               JobFlowRole="EMR_EC2_DefaultRole", ServiceRole="EMR_DefaultRole")["JobFlowId"]
    try:
        from tests.helpers.waiting import wait_for

        step = wait_for(lambda: next((s for s in emr.list_steps(ClusterId=cluster)["Steps"]
                                      if s["Status"]["State"] in ("FAILED", "COMPLETED")), None), timeout=60)
        assert step["Status"]["State"] == "FAILED"
        assert "must be an s3:// URI" in step["Status"]["FailureDetails"]["Message"]
    finally:
        emr.terminate_job_flows(JobFlowIds=[cluster])
