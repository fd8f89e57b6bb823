"""Redshift's UNLOAD: a query's rows written to S3 as Redshift names and formats them.

Formats: pipe-delimited text (DELIMITER, ADDQUOTES, NULL AS, HEADER), CSV, JSON (one object per line) and
PARQUET; GZIP; EXTENSION; PARTITION BY (cols) [INCLUDE] into Hive-style ``col=value/`` folders; MANIFEST
[VERBOSE] (``<prefix>manifest``); ALLOWOVERWRITE and CLEANPATH for a prefix that holds objects. One slice:
each (partition) folder gets ``<prefix>0000_part_00[.ext]``. Raises ``ValueError`` with Redshift's wording.
"""

from __future__ import annotations

import csv
import datetime as dt
import decimal
import gzip
import io
import json
import re
from typing import Any

NOT_EMPTY = ("Specified unload destination on S3 is not empty. Consider using a different bucket / prefix, "
             "manually removing the target files in S3, or using the ALLOWOVERWRITE option.")


def _option(options: str, pattern: str) -> re.Match[str] | None:
    return re.search(pattern, options, re.I)


def _format(options: str) -> str:
    chosen = _option(options, r"\b(?:FORMAT\s+(?:AS\s+)?)?(PARQUET|CSV|JSON)\b")
    return chosen.group(1).upper() if chosen else "TEXT"


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat(sep=" ") if isinstance(value, dt.datetime) else value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, bytes):
        return value.hex()
    return value


def _body(arrow: Any, fmt: str, options: str) -> tuple[bytes, str]:
    """(file body, default suffix) of one file."""
    import pyarrow.parquet as pq

    if fmt == "PARQUET":
        buf = io.BytesIO()
        pq.write_table(arrow, buf)
        return buf.getvalue(), ".parquet"
    out = io.StringIO()
    if fmt == "JSON":
        for row in arrow.to_pylist():
            out.write(json.dumps({k: _jsonable(v) for k, v in row.items()}) + "\n")
    else:
        delimiter = "," if fmt == "CSV" else (_option(options, r"DELIMITER\s+(?:AS\s+)?'((?:\\.|[^'])*)'")
                                              or [None, "|"])[1].encode().decode("unicode_escape")
        null = (_option(options, r"\bNULL\s+(?:AS\s+)?'((?:''|[^'])*)'") or [None, ""])[1]
        quoted = fmt == "TEXT" and _option(options, r"\bADDQUOTES\b") is not None
        writer = csv.writer(out, delimiter=delimiter, lineterminator="\n",
                            quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL)
        if _option(options, r"\bHEADER\b"):
            writer.writerow(arrow.column_names)
        for row in arrow.to_pylist():
            writer.writerow([null if v is None else v for v in row.values()])
    return out.getvalue().encode(), ""


def _files(arrow: Any, options: str) -> list[tuple[str, Any]]:
    """(folder below the prefix, rows) of every file to write: one, or one per PARTITION BY value."""
    import pyarrow.compute as pc

    partition = _option(options, r"PARTITION\s+BY\s*\(([^)]*)\)\s*(INCLUDE)?")
    if not partition:
        return [("", arrow)]
    by_lower = {name.lower(): name for name in arrow.column_names}  # unquoted names are case-insensitive
    keys = [c.strip().strip('"') if c.strip().startswith('"') else by_lower.get(c.strip().lower(), c.strip())
            for c in partition.group(1).split(",") if c.strip()]
    missing = [k for k in keys if k not in arrow.column_names]
    if missing:
        raise ValueError(f"Partition column \"{missing[0]}\" is not in the UNLOAD query's columns")
    files = []
    for combo in arrow.select(keys).group_by(keys).aggregate([]).to_pylist():
        mask = None
        for key in keys:
            test = pc.is_null(arrow[key]) if combo[key] is None else pc.equal(arrow[key], combo[key])
            mask = test if mask is None else pc.and_(mask, test)
        part = arrow.filter(mask)
        if not partition.group(2):
            part = part.drop_columns(keys)
        folder = "".join(f"{k}={'__HIVE_DEFAULT_PARTITION__' if combo[k] is None else combo[k]}/" for k in keys)
        files.append((folder, part))
    return files


def unload(text: str, lake: Any, run_query: Any) -> int:
    """Run one UNLOAD statement; ``run_query(sql)`` gives the query's Arrow table. The number of rows unloaded."""
    flat = " ".join(text.split())
    match = re.match(r"UNLOAD\s*\(\s*'((?:''|[^'])*)'\s*\)\s+TO\s+'([^']+)'(.*)$", flat, re.I)
    if not match:
        raise ValueError("syntax error in UNLOAD: expected UNLOAD ('select ...') TO 's3://...' ...")
    query, target, options = match.group(1).replace("''", "'"), match.group(2), match.group(3)
    if not target.startswith("s3://"):
        raise ValueError("UNLOAD writes to s3:// only")
    unsupported = _option(options, r"\b(BZIP2|ZSTD|ENCRYPTED)\b")
    if unsupported:
        raise ValueError(f"UNLOAD option {unsupported.group(1).upper()} is not emulated by the sandbox (GZIP is)")
    bucket, _, prefix = target[len("s3://"):].partition("/")
    existing = [o.key for o in lake.list(bucket, prefix)]
    if existing:
        if _option(options, r"\bCLEANPATH\b"):
            for key in existing:
                lake.delete(bucket, key)
        elif not _option(options, r"\bALLOWOVERWRITE\b"):
            raise ValueError(NOT_EMPTY)
    arrow = run_query(query)
    fmt = _format(options)
    extension = _option(options, r"\bEXTENSION\s+(?:AS\s+)?'([^']*)'")
    compressed = fmt != "PARQUET" and _option(options, r"\bGZIP\b") is not None
    entries = []
    for folder, rows in _files(arrow, options):
        body, suffix = _body(rows, fmt, options)
        if compressed:
            body, suffix = gzip.compress(body), ".gz"
        if extension:
            suffix = "." + extension.group(1).lstrip(".") + (".gz" if compressed else "")
        base = prefix if not folder or not prefix or prefix.endswith("/") else prefix + "/"
        key = f"{base}{folder}0000_part_00{suffix}"
        lake.put(bucket, key, body)
        entries.append({"url": f"s3://{bucket}/{key}", "meta": {"content_length": len(body),
                                                                   "record_count": rows.num_rows}})
    if _option(options, r"\bMANIFEST\b"):
        manifest: dict[str, Any] = {"entries": entries}
        if _option(options, r"\bMANIFEST\s+VERBOSE\b"):
            manifest["schema"] = {"elements": [{"name": f.name, "type": {"base": str(f.type)}} for f in arrow.schema]}
            manifest["meta"] = {"content_length": sum(e["meta"]["content_length"] for e in entries),
                                "record_count": arrow.num_rows}
        lake.put(bucket, f"{prefix}manifest", json.dumps(manifest, indent=2).encode())
    return arrow.num_rows
