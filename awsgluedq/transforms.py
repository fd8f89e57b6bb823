"""``EvaluateDataQuality``: DQDL rules over a DynamicFrame inside a Glue job script.

``EvaluateDataQuality.apply(frame=..., ruleset=..., publishing_options=...)`` answers a
DynamicFrame of rule outcomes (``Rule``, ``Outcome`` Passed / Failed / Error,
``FailureReason``, ``EvaluatedMetrics``); ``EvaluateDataQuality().process_rows(...)``
answers a DynamicFrameCollection with ``ruleOutcomes`` and ``rowLevelOutcomes`` (the
frame's rows plus ``DataQualityRulesPass``, ``DataQualityRulesFail``,
``DataQualityRulesSkip`` and ``DataQualityEvaluationResult``). ``additional_data_sources``
(``{"reference": frame}``) serve ReferentialIntegrity and RowCountMatch. The frame is
collected to the driver: meant for the sandbox's data sizes. Unless
``publishing_options`` says ``"enableDataQualityResultsPublishing": False``, the result is
published as on AWS: GetDataQualityResult / ListDataQualityResults show it (with the
job's name and run id, and ``dataQualityEvaluationContext`` as EvaluationContext) once
the run ends. Nothing is sent to CloudWatch.
"""

from __future__ import annotations

import json
import os
from datetime import datetime, timezone
from typing import Any

from awsglue.dynamicframe import DynamicFrame, DynamicFrameCollection
from emulators.glue import dqdl, dqdl_eval

OUTCOMES = {"PASS": "Passed", "FAIL": "Failed", "ERROR": "Error"}


def _arrow(frame: DynamicFrame) -> tuple[Any, list[Any]]:
    import pyarrow as pa

    df = frame.toDF()
    rows = df.collect()
    records = [row.asDict(recursive=True) for row in rows]
    table = pa.Table.from_pylist(records) if records else pa.table({name: pa.array([], pa.string())
                                                                    for name in df.columns})
    return table, rows


def _evaluate(frame: DynamicFrame, ruleset: str, additional_data_sources: dict[str, DynamicFrame] | None
              ) -> tuple[list[Any], list[dict[str, Any]], Any, list[Any]]:
    try:
        rules = dqdl.parse_ruleset(ruleset)
    except dqdl.DqdlError as exc:
        raise ValueError(f"The data quality ruleset is not valid DQDL: {exc}") from None
    table, rows = _arrow(frame)
    references = {alias: _arrow(other)[0] for alias, other in (additional_data_sources or {}).items()}
    return rules, dqdl_eval.evaluate(rules, table, references), table, rows


def _publish(results: list[dict[str, Any]], rows: int, publishing_options: dict[str, Any] | None,
             started: datetime) -> None:
    """Hand the result to the sandbox (a JSON line in the run's folder), which stores it when the run ends."""
    options = publishing_options or {}
    enabled = options.get("enableDataQualityResultsPublishing", True)
    path = os.environ.get("SANDBOX_GLUE_DQ_RESULTS_FILE")
    if not path or enabled is False or str(enabled).lower() == "false":
        return
    record = {"EvaluationContext": options.get("dataQualityEvaluationContext", "EvaluateDataQuality"),
              "StartedOn": started.isoformat(), "CompletedOn": datetime.now(timezone.utc).isoformat(),
              "RuleResults": results, "Rows": rows}
    with open(path, "a", encoding="utf-8") as out:
        out.write(json.dumps(record) + "\n")


def _rule_outcomes(frame: DynamicFrame, results: list[dict[str, Any]]) -> DynamicFrame:
    from pyspark.sql.types import DoubleType, MapType, StringType, StructField, StructType

    spark = frame.toDF().sparkSession
    schema = StructType([StructField("Rule", StringType()), StructField("Outcome", StringType()),
                         StructField("FailureReason", StringType()),
                         StructField("EvaluatedMetrics", MapType(StringType(), DoubleType()))])
    data = [(r["Description"], OUTCOMES[r["Result"]], r.get("EvaluationMessage"), r.get("EvaluatedMetrics") or {})
            for r in results]
    return DynamicFrame(spark.createDataFrame(data, schema), frame.glue_ctx, "ruleOutcomes")


class EvaluateDataQuality:
    """AWS Glue's EvaluateDataQuality transform (``awsgluedq.transforms``)."""

    @classmethod
    def apply(cls, frame: DynamicFrame, ruleset: str, publishing_options: dict[str, Any] | None = None,
              additional_options: dict[str, Any] | None = None, transformation_ctx: str = "",
              additional_data_sources: dict[str, DynamicFrame] | None = None, **kwargs: Any) -> DynamicFrame:
        started = datetime.now(timezone.utc)
        _, results, table, _ = _evaluate(frame, ruleset, additional_data_sources)
        _publish(results, table.num_rows, publishing_options, started)
        return _rule_outcomes(frame, results)

    def process_rows(self, frame: DynamicFrame, ruleset: str, publishing_options: dict[str, Any] | None = None,
                     additional_options: dict[str, Any] | None = None,
                     additional_data_sources: dict[str, DynamicFrame] | None = None,
                     transformation_ctx: str = "", **kwargs: Any) -> DynamicFrameCollection:
        from pyspark.sql.types import ArrayType, StringType, StructField, StructType

        started = datetime.now(timezone.utc)
        rules, results, table, rows = _evaluate(frame, ruleset, additional_data_sources)
        _publish(results, table.num_rows, publishing_options, started)
        df = frame.toDF()
        outcomes = dqdl_eval.row_outcomes(rules, table, results)
        schema = StructType(list(df.schema.fields) + [
            StructField("DataQualityRulesPass", ArrayType(StringType())),
            StructField("DataQualityRulesFail", ArrayType(StringType())),
            StructField("DataQualityRulesSkip", ArrayType(StringType())),
            StructField("DataQualityEvaluationResult", StringType())])
        data = [tuple(row) + (o["DataQualityRulesPass"], o["DataQualityRulesFail"], o["DataQualityRulesSkip"],
                              o["DataQualityEvaluationResult"]) for row, o in zip(rows, outcomes)]
        row_level = DynamicFrame(df.sparkSession.createDataFrame(data, schema), frame.glue_ctx, "rowLevelOutcomes")
        return DynamicFrameCollection({"ruleOutcomes": _rule_outcomes(frame, results),
                                       "rowLevelOutcomes": row_level}, frame.glue_ctx)
