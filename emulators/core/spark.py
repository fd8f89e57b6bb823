"""One local SparkSession per process, configured for an offline 2-core machine; the JVM options every
Spark driver the sandbox starts gets.

Spark takes 10-14 s to start, so every engine in a process shares the session
returned by :func:`get_spark`. ``SPARK_MASTER`` points it at a cluster (the
docker-compose Spark master); the default is ``local[*]``.

Most of a Spark driver's start-up is the JVM loading and verifying some 12,000 classes. A class-data
sharing archive (JDK 13+ ``-XX:ArchiveClassesAtExit``) made once from a representative job lets every
later driver map them instead: :func:`build_class_archive` makes it (``python -m emulators.core.spark
--build-class-archive``, which ``run.py`` calls after installing) and :func:`with_jvm_options` adds
``-XX:SharedArchiveFile`` to ``SPARK_SUBMIT_OPTS``, which spark-submit (and so PySpark) passes to the
driver JVM. The archive is named after the Java, PySpark and Python it was made with, so an upgrade
simply finds none and Spark starts as it always did; a JVM that cannot use an archive ignores it silently.
``SANDBOX_SPARK_CLASS_ARCHIVE=0`` turns this off; ``SANDBOX_SPARK_JVM_OPTIONS`` adds options of one's own.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from emulators.core import paths

_lock = threading.Lock()
_session: Any = None

SWITCH = "SANDBOX_SPARK_CLASS_ARCHIVE"
# the JVM prints a warning on stdout when an archive does not match it (another JDK build): never in a job's log
QUIET = "-Xlog:cds*=off"


def get_spark(app_name: str = "aws-sandbox") -> Any:
    global _session
    with _lock:
        if _session is not None and _session._jsc is not None and not _session._jsc.sc().isStopped():
            return _session
        from pyspark.sql import SparkSession

        os.environ.setdefault("PYARROW_IGNORE_TIMEZONE", "1")
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")  # never bind Spark beyond loopback
        os.environ.setdefault("PYSPARK_PYTHON", sys.executable)  # Python UDFs run where pyarrow is installed
        if options := with_jvm_options(os.environ).get("SPARK_SUBMIT_OPTS"):
            os.environ["SPARK_SUBMIT_OPTS"] = options  # the driver JVM PySpark starts for this session
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


# -- the class-data sharing archive ----------------------------------------------------------------------
def _java() -> str | None:
    home = os.environ.get("JAVA_HOME")
    found = str(Path(home) / "bin" / "java") if home and (Path(home) / "bin" / "java").exists() else shutil.which("java")
    return os.path.realpath(found) if found else None


def _spark_home() -> str | None:
    if os.environ.get("SPARK_HOME"):
        return os.environ["SPARK_HOME"]
    try:
        from importlib.util import find_spec

        spec = find_spec("pyspark")
    except (ImportError, ValueError):
        return None
    return os.path.dirname(spec.origin) if spec and spec.origin else None


_key_cache: dict[tuple[str | None, str | None], str | None] = {}


def class_archive_path() -> Path | None:
    """Where the archive for this Java and Spark is (or would be); None when either is missing."""
    java, spark = _java(), _spark_home()
    if (java, spark) not in _key_cache:
        if not java or not spark:
            _key_cache[(java, spark)] = None
        else:
            stat = os.stat(java)
            jars = Path(spark) / "jars"
            names = sorted(p.name for p in jars.glob("*.jar")) if jars.is_dir() else []
            key = "\n".join([java, str(stat.st_size), str(int(stat.st_mtime)), spark, *names, sys.version])
            _key_cache[(java, spark)] = hashlib.sha256(key.encode()).hexdigest()[:16]
    key = _key_cache[(java, spark)]
    return paths.cache_folder() / f"spark-classes-{key}.jsa" if key else None


def jvm_options() -> str:
    """The options every Spark driver gets: the class archive when one was made for this Java and Spark, then
    ``SANDBOX_SPARK_JVM_OPTIONS`` (the test suite sets ``-XX:TieredStopAtLevel=1 -XX:+UseSerialGC``: short jobs
    start faster with only the quick JIT compiler and no GC threads, long ones run slower)."""
    options = []
    if os.environ.get(SWITCH, "1").strip().lower() not in ("0", "false", "no", "off"):
        path = class_archive_path()
        if path and path.is_file():
            options += [f"-XX:SharedArchiveFile={path}", QUIET]
    options += os.environ.get("SANDBOX_SPARK_JVM_OPTIONS", "").split()
    return " ".join(options)


def with_jvm_options(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` with :func:`jvm_options` added to ``SPARK_SUBMIT_OPTS`` (after a user's own options)."""
    options = jvm_options()
    current = env.get("SPARK_SUBMIT_OPTS", "")
    if not options or options in current:
        return dict(env)
    return {**env, "SPARK_SUBMIT_OPTS": f"{current} {options}".strip()}


# what the archive is made from: a small job touching what Glue and EMR jobs use (SQL, shuffles, joins,
# windows, Python rows, Arrow, parquet/CSV/JSON reads and writes)
_WORKLOAD = r'''
import sys, tempfile
from pyspark.sql import SparkSession, Window, functions as F
spark = (SparkSession.builder.master("local[2]").config("spark.ui.enabled", "false")
         .config("spark.driver.host", "127.0.0.1").config("spark.driver.bindAddress", "127.0.0.1")
         .config("spark.sql.shuffle.partitions", "4")
         .config("spark.sql.execution.arrow.pyspark.enabled", "true").getOrCreate())
out = tempfile.mkdtemp(dir=".")  # inside the build's own temporary folder, removed after it
df = spark.createDataFrame([(i, f"k{i % 7}", i * 1.5, "2024-01-0%d" % (i % 9 + 1)) for i in range(2000)],
                           "id long, k string, v double, d string")
df = df.withColumn("day", F.to_date("d")).withColumn("rank", F.row_number().over(Window.partitionBy("k").orderBy("v")))
agg = df.groupBy("k").agg(F.sum("v").alias("s"), F.countDistinct("id"), F.max("day"))
df.join(agg, "k").write.mode("overwrite").partitionBy("k").parquet(out + "/p")
df.write.mode("overwrite").option("header", True).csv(out + "/c")
df.write.mode("overwrite").json(out + "/j")
for fmt in ("parquet", "json"):
    spark.read.format(fmt).load(out + ("/p" if fmt == "parquet" else "/j")).createOrReplaceTempView("t_" + fmt)
spark.read.option("header", True).option("inferSchema", True).csv(out + "/c").toPandas()
spark.sql("SELECT k, count(*) FROM t_parquet WHERE id > 10 GROUP BY k ORDER BY k").collect()
spark.sql("SELECT * FROM t_json j JOIN t_parquet p ON j.id = p.id LIMIT 5").collect()
spark.range(100).rdd.map(lambda r: r[0] * 2).filter(lambda x: x > 5).count()
spark.stop()
'''


def build_class_archive(timeout: float = 600) -> str | None:
    """Make the archive for this Java and Spark unless it exists; what happened, in words (None: it existed)."""
    path = class_archive_path()
    if path is None:
        return "no Spark class archive: Java or PySpark is not installed"
    if path.is_file():
        return None
    print("making Spark's class archive (once, about a minute) ...", flush=True)
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
    env = {k: v for k, v in os.environ.items() if k not in ("SPARK_SUBMIT_OPTS", "PYSPARK_SUBMIT_ARGS")}
    env.update({"SPARK_SUBMIT_OPTS": f"-XX:ArchiveClassesAtExit={partial} {QUIET}", "SPARK_LOCAL_IP": "127.0.0.1",
                "PYSPARK_PYTHON": sys.executable, "PYSPARK_DRIVER_PYTHON": sys.executable})
    with tempfile.TemporaryDirectory() as work:
        try:
            done = subprocess.run([sys.executable, "-c", _WORKLOAD], cwd=work, env=env, timeout=timeout,
                                  stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
        except subprocess.TimeoutExpired:
            partial.unlink(missing_ok=True)
            return "no Spark class archive: the Spark run that makes it did not finish"
    if done.returncode != 0 or not partial.is_file():
        partial.unlink(missing_ok=True)
        return "no Spark class archive: " + ((done.stderr or "").strip().splitlines() or ["Spark did not start"])[-1][:300]
    os.replace(partial, path)
    return f"Spark class archive made: {path} ({path.stat().st_size // 2**20} MiB)"


if __name__ == "__main__":
    if sys.argv[1:] != ["--build-class-archive"]:
        sys.exit("usage: python -m emulators.core.spark --build-class-archive")
    said = build_class_archive()
    if said:
        print(said, flush=True)
