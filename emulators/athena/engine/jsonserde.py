"""What the JSON SerDes do to each line before Arrow reads it ("JSON SerDe libraries" page).

Both the OpenX SerDe (``org.openx.data.jsonserde.JsonSerDe``) and the Hive one
(``org.apache.hive.hcatalog.data.JsonSerDe``) match keys to columns ignoring case, OpenX unless
``'case.insensitive' = 'false'``; ``'mapping.<column>' = '<key>'`` reads a column from another key;
with ``'ignore.malformed.json' = 'true'`` a line that is not JSON is a row of NULLs, otherwise the query
fails with HIVE_CURSOR_ERROR. Files that need none of this (lower-case keys, no mapping) are passed to
Arrow unchanged, so the usual case costs no Python per line.
"""

from __future__ import annotations

import json
import re
from typing import Any

from emulators.athena.engine.types import QueryFailed

UPPER_KEY = re.compile(rb'"[^"\\]*[A-Z][^"\\]*"\s*:')


def json_transform(params: dict[str, str]) -> Any:
    """A ``bytes -> bytes`` rewrite of a JSON table's file, or None when the table needs none."""
    mapping = {k[len("mapping."):].lower(): v for k, v in params.items() if k.lower().startswith("mapping.")}
    ignore_malformed = str(params.get("ignore.malformed.json", "")).lower() == "true"
    case_insensitive = str(params.get("case.insensitive", "true")).lower() != "false"

    def transform(data: bytes, path: str) -> bytes:
        if not mapping and not ignore_malformed and not (case_insensitive and UPPER_KEY.search(data)):
            return data
        out = []
        for number, line in enumerate(data.splitlines(), start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                if not isinstance(row, dict):
                    raise ValueError("not a JSON object")
            except ValueError as exc:
                if ignore_malformed:
                    out.append("{}")
                    continue
                raise QueryFailed(f"HIVE_CURSOR_ERROR: Row is not a valid JSON Object - JSONException: {exc} "
                                  f"(line {number} of s3://{path}; the table's 'ignore.malformed.json' = 'true' "
                                  "reads such lines as NULLs)") from None
            if case_insensitive:
                row = {str(k).lower(): v for k, v in row.items()}
            for column, key in mapping.items():
                row[column] = row.get(key.lower() if case_insensitive else key)
            out.append(json.dumps(row))
        return ("\n".join(out) + "\n").encode()

    return transform
