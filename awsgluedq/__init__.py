"""Glue Data Quality in job scripts (``from awsgluedq.transforms import EvaluateDataQuality``), for the sandbox.

Written from AWS's documented behaviour: the DQDL ruleset is evaluated over the
frame's rows by the sandbox's own evaluator (:mod:`emulators.glue.dqdl_eval`, DuckDB).
This is not AWS's library code.
"""
