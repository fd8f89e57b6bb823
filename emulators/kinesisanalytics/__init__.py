"""Amazon Kinesis Data Analytics (SQL applications) on DuckDB.

AWS discontinued SQL applications (existing ones were deleted from 27 January 2026); today's exams name
Amazon Managed Service for Apache Flink, which the sandbox does not run. The SQL API stays here to show
windowed stream SQL, the idea both share.

Emulated: the kinesisanalyticsv2 API for SQL applications (RuntimeEnvironment
``SQL-1_0``): CreateApplication with a Kinesis stream input (schema mappings
``$.field``) and Kinesis stream or Firehose outputs, DescribeApplication,
StartApplication / StopApplication (added: moto lacks them). While RUNNING, the
application's pumps run every second on DuckDB over the records that arrived
(``ROWTIME`` = arrival time): tumbling windows with ``STEP(... BY INTERVAL)`` /
``FLOOR(ROWTIME TO ...)`` are emitted once closed, sliding windows with window
frames; results go out as JSON lines. The same engine runs offline data through
``sandbox.streaming.run_windowed_sql`` (a sandbox Python API: AWS has none).

Not emulated: Apache Flink applications (Managed Service for Apache Flink),
the legacy kinesisanalytics (v1) API, reference data sources, Lambda
preprocessing, application snapshots; the SQL is DuckDB's with the
STEP/FLOOR/ROWTIME spellings translated.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="Kinesis Data Analytics (SQL)",
    api_names=("kinesisanalyticsv2",),
    stand_in="DuckDB windows over the stream's records; sandbox.streaming.run_windowed_sql for offline data",
    executes="SQL applications: pumps with tumbling (STEP) and sliding windows, output to Kinesis or Firehose",
    not_emulated="Flink applications, the v1 API, reference data, Lambda preprocessing",
    provider="provider",
    notes=("AWS discontinued SQL applications (deleted from 27 January 2026): today's exams name Amazon Managed "
           "Service for Apache Flink, which the sandbox does not run",),
)
