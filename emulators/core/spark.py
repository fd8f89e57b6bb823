"""One local SparkSession per process, configured for an offline 2-core machine.

Spark takes 10-14 s to start, so every engine in a process shares the session
returned by :func:`get_spark`. ``SPARK_MASTER`` points it at a cluster (the
docker-compose Spark master); the default is ``local[*]``.
"""

from __future__ import annotations

import os
import sys
import threading
from typing import Any

_lock = threading.Lock()
_session: Any = None


def get_spark(app_name: str = "aws-sandbox") -> Any:
    global _session
    with _lock:
        if _session is not None and _session._jsc is not None and not _session._jsc.sc().isStopped():
            return _session
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # never bind Spark beyond loopback
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python UDFs run where pyarrow is installed
        builder = (
            SparkSession.builder.appName(app_name)
            .master(os.environ.get("SPARK_MASTER", "local[*]"))
            .config("spark.ui.enabled", "false")
            .config("spark.sql.shuffle.partitions", os.environ.get("SANDBOX_SPARK_SHUFFLE_PARTITIONS", "4"))
            .config("spark.sql.execution.arrow.pyspark.enabled", "true")
            .config("spark.sql.session.timeZone", "UTC")
            .config("spark.driver.host", "127.0.0.1")
            .config("spark.driver.bindAddress", "127.0.0.1")
            .config("spark.sql.sources.partitionOverwriteMode", "dynamic")
        )
        _session = builder.getOrCreate()
        _session.sparkContext.setLogLevel("ERROR")
        return _session
