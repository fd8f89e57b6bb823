"""Streaming helpers: replay a dataset into a Kinesis stream, and run windowed SQL offline.

    from sandbox import datasets, streaming
    clicks = datasets.clickstream(2_000)
    streaming.replay(aws, clicks, "clickstream", rate=500, partition_key="session_id")
    streaming.run_windowed_sql(clicks, '''
        SELECT STREAM product_id, COUNT(*) AS clicks
        FROM "SOURCE_SQL_STREAM_001"
        GROUP BY product_id, STEP("SOURCE_SQL_STREAM_001".ROWTIME BY INTERVAL '60' SECOND)''',
        rowtime="event_ts")
"""

from __future__ import annotations

import json
import time
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sandbox.session import SandboxSession


def replay(session: SandboxSession, frame: pd.DataFrame, stream_name: str, rate: float | None = None,
           partition_key: str | None = None, batch_size: int = 500, progress: bool = True) -> dict[str, Any]:
    """Put each row of ``frame`` (as a JSON line) into ``stream_name`` with PutRecords.

    ``rate`` caps records per second (None: as fast as possible); ``partition_key``
    names the column whose value routes a record to its shard. Returns counts.
    """
    kinesis = session.client("kinesis")
    rows = json.loads(frame.to_json(orient="records", date_format="iso"))
    sent = failed = 0
    started = time.monotonic()
    progress_bar: Any = None
    if progress:
        from rich.progress import Progress

        progress_bar = Progress(transient=True)
        progress_bar.start()
        task = progress_bar.add_task(f"replaying into {stream_name}", total=len(rows))
    try:
        for start in range(0, len(rows), batch_size):
            chunk = rows[start:start + batch_size]
            entries = [{"Data": (json.dumps(r) + "\n").encode(),
                        "PartitionKey": str(r.get(partition_key)) if partition_key else str(start + i)}
                       for i, r in enumerate(chunk)]
            result = kinesis.put_records(StreamName=stream_name, Records=entries)
            failed += result.get("FailedRecordCount", 0)
            sent += len(chunk)
            if progress_bar is not None:
                progress_bar.update(task, advance=len(chunk))
            if rate:
                ahead = sent / rate - (time.monotonic() - started)
                if ahead > 0:
                    time.sleep(ahead)
    finally:
        if progress_bar is not None:
            progress_bar.stop()
    seconds = time.monotonic() - started
    return {"records": sent, "failed": failed, "seconds": seconds, "records_per_second": sent / max(seconds, 1e-9)}


def run_windowed_sql(frame: pd.DataFrame, select: str, rowtime: str | None = None,
                     source_name: str = "SOURCE_SQL_STREAM_001") -> pd.DataFrame:
    """Run a Kinesis Analytics SQL SELECT (STEP/FLOOR windows, ROWTIME) over ``frame`` on DuckDB.

    ``rowtime`` names the column that plays ``ROWTIME`` (the arrival time on AWS);
    without it, every row gets the current time.
    """
    import pandas as pd

    from emulators.kinesisanalytics import engine

    data = frame.copy()
    data["ROWTIME"] = pd.to_datetime(data[rowtime], utc=True).dt.tz_localize(None) if rowtime else pd.Timestamp.utcnow()
    columns = [(c, _sql_type(data[c])) for c in frame.columns]
    pump = engine.Pump("DEST_SQL_STREAM", engine.translate(select), engine.window_seconds(select))
    rows = data.to_dict(orient="records")
    return pd.DataFrame(engine.run_pump(pump, rows, columns, source_name))


def _sql_type(series: Any) -> str:
    kind = series.dtype.kind
    return {"i": "BIGINT", "u": "BIGINT", "f": "DOUBLE", "b": "BOOLEAN", "M": "TIMESTAMP"}.get(kind, "VARCHAR")
