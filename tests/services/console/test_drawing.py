"""The console's pure parts: SVG charts and graphs, the Step Functions status rules, the violations
summary (AWS's constraint_violations.json format), and escaping."""

from __future__ import annotations

import datetime as dt
import io
import json
import xml.etree.ElementTree as ET

from emulators.console import charts, ui
from emulators.console.pages.sagemaker import _violations
from emulators.console.pages.stepfunctions import state_statuses


def test_line_chart_is_valid_svg_with_one_dot_per_point():
    start = dt.datetime(2026, 1, 1, tzinfo=dt.timezone.utc)
    svg = charts.line_chart([(start + dt.timedelta(minutes=i), v) for i, v in enumerate([3.0, 1.5, 4.25])], "Latency")
    root = ET.fromstring(svg)
    circles = root.findall(".//{http://www.w3.org/2000/svg}circle")
    assert [c.find("{http://www.w3.org/2000/svg}title").text for c in circles] == ["3", "1.5", "4.25"]
    assert "00:00:00" in svg and "00:02:00" in svg
    assert "No datapoints" in charts.line_chart([], "empty")


def test_workflow_graph_layers_follow_the_transitions_and_loops_do_not_break_it():
    nodes = ["Start", "Check", "Wait", "Done"]
    edges = [("Start", "Check"), ("Check", "Wait"), ("Wait", "Check"), ("Check", "Done")]
    layout = charts.layered_layout(nodes, edges, "Start")
    assert layout["Start"][0] == 0 and layout["Check"][0] == 1 and layout["Wait"][0] == 2 and layout["Done"][0] == 2
    svg = charts.workflow_graph(nodes, edges, {"Start": "succeeded", "Check": "failed"}, "Start")
    root = ET.fromstring(svg)
    states = {g.get("data-state"): g.get("data-status") for g in root.iter("{http://www.w3.org/2000/svg}g")
              if g.get("data-state")}
    assert states == {"Start": "succeeded", "Check": "failed", "Wait": "not-run", "Done": "not-run"}


def test_state_statuses_from_an_execution_history():
    """Event types and details as GetExecutionHistory returns them (AWS Step Functions API reference)."""
    def entered(kind, name):
        return {"type": f"{kind}StateEntered", "stateEnteredEventDetails": {"name": name}}

    def exited(kind, name):
        return {"type": f"{kind}StateExited", "stateExitedEventDetails": {"name": name}}

    kinds = {"Load": "Task", "Retry": "Task", "Alert": "Fail", "Skip": "Pass"}
    events = [{"type": "ExecutionStarted"}, entered("Task", "Load"), {"type": "TaskFailed"}, exited("Task", "Load"),
              entered("Task", "Retry"), {"type": "TaskFailed"}, {"type": "ExecutionFailed"}]
    assert state_statuses(events, "FAILED", kinds) == {"Load": "caught", "Retry": "failed"}
    events = [entered("Task", "Load"), exited("Task", "Load"), entered("Fail", "Alert"), {"type": "ExecutionFailed"}]
    assert state_statuses(events, "FAILED", kinds) == {"Load": "succeeded", "Alert": "failed"}
    assert state_statuses([entered("Task", "Load")], "RUNNING", kinds) == {"Load": "running"}


class _Stub:
    def __init__(self, **methods):
        self.__dict__.update(methods)


def test_violations_summary_reads_the_report_of_the_processing_job():
    report = {"violations": [
        {"feature_name": "age", "constraint_check_type": "baseline_drift_check", "description": "..."},
        {"feature_name": "income", "constraint_check_type": "data_type_check", "description": "..."}]}
    asked = {}

    def get_object(Bucket, Key):
        asked["where"] = (Bucket, Key)
        return {"Body": io.BytesIO(json.dumps(report).encode())}

    sm = _Stub(describe_processing_job=lambda ProcessingJobName: {"ProcessingOutputConfig": {"Outputs": [
        {"S3Output": {"S3Uri": f"s3://monitor/reports/{ProcessingJobName}/"}}]}})
    ctx = _Stub(client=lambda name: _Stub(get_object=get_object))
    run = {"ProcessingJobArn": "arn:aws:sagemaker:us-east-1:123456789012:processing-job/mon-1",
           "MonitoringExecutionStatus": "CompletedWithViolations"}
    assert _violations(ctx, sm, run) == "2: age (baseline_drift_check), income (data_type_check)"
    assert asked["where"] == ("monitor", "reports/mon-1/constraint_violations.json")
    assert _violations(ctx, sm, {**run, "MonitoringExecutionStatus": "Failed"}) == "-"


def test_markup_escapes_what_is_added_to_it():
    assert ui.Markup("<b>") + "<i>" == "<b>&lt;i&gt;"
    assert "<i>" + ui.Markup("<b>") == "&lt;i&gt;<b>"
    assert ui.table(["<h>"], [["<x>"]]).count("&lt;") == 2
