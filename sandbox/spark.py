"""The shared local SparkSession (see :mod:`emulators.core.spark`)."""

from emulators.core.spark import get_spark

__all__ = ["get_spark"]
