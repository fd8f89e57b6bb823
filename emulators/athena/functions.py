"""Athena's (Trino's) functions that DuckDB lacks or spells differently, as DuckDB macros and Python UDFs.

``translate.py`` renames each call of a function listed here, ``f(...)``, to ``trino_f(...)``;
:func:`install` then defines, in the query's connection, only the ``trino_*`` functions the
statement uses (and the ones they use). Macros are plain SQL (they run inside DuckDB's vectorised
engine); a few functions whose logic has no SQL spelling (URLs, Luhn, soundex, distributions) are
Python scalar functions. Semantics follow Trino's reference pages (trino.io/docs/current/functions/):
``regexp_replace`` replaces every match and takes ``$1`` group references, ``regexp_extract`` is NULL
when nothing matches, ``strpos(s, sub, n)`` finds the n-th occurrence, ``millisecond`` is 0-999,
``array_distinct`` keeps the first occurrences in order, ``url_encode`` writes spaces as ``+``.
"""

from __future__ import annotations

import re
from typing import Any, Callable

# name -> "(params) AS body[, (params) AS body]" (DuckDB macro overloads by argument count)
MACROS: dict[str, str] = {
    # math
    "e": "() AS exp(1)",
    "rand": "() AS random(), (n) AS CAST(floor(random() * n) AS BIGINT), (lo, hi) AS "
            "CAST(lo + floor(random() * (hi - lo)) AS BIGINT)",
    "random": "() AS random(), (n) AS CAST(floor(random() * n) AS BIGINT), (lo, hi) AS "
              "CAST(lo + floor(random() * (hi - lo)) AS BIGINT)",
    "truncate": "(x) AS trunc(x), (x, n) AS trunc(x * pow(10, n)) / pow(10, n)",
    "width_bucket": "(x, lo, hi, n) AS CAST(CASE WHEN x < lo THEN 0 WHEN x >= hi THEN n + 1 "
                    "ELSE floor((x - lo) / (hi - lo) * n) + 1 END AS BIGINT)",
    "infinity": "() AS CAST('Infinity' AS DOUBLE)",
    "nan": "() AS CAST('NaN' AS DOUBLE)",
    "is_nan": "(x) AS isnan(x)",
    "is_finite": "(x) AS isfinite(x)",
    "is_infinite": "(x) AS isinf(x)",
    "wilson_interval_lower": "(s, n, z) AS trino_wilson(CAST(s AS DOUBLE), CAST(n AS DOUBLE), CAST(z AS DOUBLE), -1)",
    "wilson_interval_upper": "(s, n, z) AS trino_wilson(CAST(s AS DOUBLE), CAST(n AS DOUBLE), CAST(z AS DOUBLE), 1)",
    "wilson": "(s, n, z, sign) AS ((s / n) + z * z / (2 * n) + sign * z * sqrt((s / n) * (1 - s / n) / n "
              "+ z * z / (4 * n * n))) / (1 + z * z / n)",
    "cosine_similarity": "(a, b) AS list_sum([CAST(a[k] AS DOUBLE) * coalesce(CAST(b[k] AS DOUBLE), 0) "
                         "FOR k IN map_keys(a)]) / (sqrt(list_sum([CAST(v AS DOUBLE) * v FOR v IN map_values(a)])) "
                         "* sqrt(list_sum([CAST(v AS DOUBLE) * v FOR v IN map_values(b)])))",
    # bitwise
    "bit_count": "(x, bits) AS bit_count(CAST(CASE WHEN x < 0 AND bits < 64 THEN x + (CAST(1 AS HUGEINT) << "
                 "CAST(bits AS INTEGER)) ELSE x END AS BIGINT))",
    "bitwise_and": "(a, b) AS (CAST(a AS BIGINT) & CAST(b AS BIGINT))",
    "bitwise_or": "(a, b) AS (CAST(a AS BIGINT) | CAST(b AS BIGINT))",
    "bitwise_xor": "(a, b) AS xor(CAST(a AS BIGINT), CAST(b AS BIGINT))",
    "bitwise_not": "(a) AS (~CAST(a AS BIGINT))",
    "bitwise_left_shift": "(a, n) AS (CAST(a AS BIGINT) << CAST(n AS BIGINT))",
    "bitwise_right_shift": "(a, n) AS CAST(CAST(CAST(a AS BIGINT) AS UBIGINT) >> CAST(n AS UBIGINT) AS BIGINT)",
    "bitwise_right_shift_arithmetic": "(a, n) AS (CAST(a AS BIGINT) >> CAST(n AS BIGINT))",
    # string
    "hamming_distance": "(a, b) AS hamming(a, b)",
    "levenshtein_distance": "(a, b) AS levenshtein(a, b)",
    "replace": "(s, a) AS replace(s, a, ''), (s, a, b) AS replace(s, a, b)",
    "split_to_map": "(s, e, kv) AS map_from_entries([{'key': split_part(x, kv, 1), 'value': "
                    "substr(x, length(split_part(x, kv, 1)) + length(kv) + 1)} FOR x IN string_split(s, e)])",
    "strpos": "(s, sub) AS strpos(s, sub), (s, sub, n) AS trino_nth_position(s, sub, n)",
    "to_utf8": "(s) AS encode(s)",
    "from_utf8": "(b) AS decode(b)",
    "format": "(f, a) AS printf(f, a), (f, a, b) AS printf(f, a, b), (f, a, b, c) AS printf(f, a, b, c), "
              "(f, a, b, c, d) AS printf(f, a, b, c, d)",
    "normalize": "(s) AS trino_normalize_form(s, 'NFC'), (s, form) AS trino_normalize_form(s, form)",
    # regular expressions
    "regexp_count": "(s, p) AS len(regexp_extract_all(s, p))",
    "regexp_extract": "(s, p) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p) END, "
                      "(s, p, g) AS CASE WHEN regexp_matches(s, p) THEN regexp_extract(s, p, g) END",
    "regexp_position": "(s, p) AS trino_regexp_find(s, p, 1, 1), (s, p, st) AS trino_regexp_find(s, p, st, 1), "
                       "(s, p, st, n) AS trino_regexp_find(s, p, st, n)",
    "regexp_replace": "(s, p) AS regexp_replace(s, p, '', 'g'), "
                      "(s, p, r) AS regexp_replace(s, p, regexp_replace(r, '\\$(\\d)', '\\\\\\1', 'g'), 'g')",
    "regexp_split": "(s, p) AS string_split_regex(s, p)",
    # JSON
    "is_json_scalar": "(j) AS json_type(CAST(j AS JSON)) NOT IN ('OBJECT', 'ARRAY')",
    "json_array_contains": "(j, v) AS list_contains([CAST(e AS VARCHAR) FOR e IN CAST(CAST(j AS JSON) AS JSON[])], "
                           "CAST(to_json(v) AS VARCHAR))",
    "json_array_get": "(j, i) AS json_extract(CAST(j AS JSON), CASE WHEN i < 0 THEN '$[#' || i || ']' "
                      "ELSE '$[' || i || ']' END)",
    "json_format": "(j) AS CAST(json(j) AS VARCHAR)",
    "json_parse": "(s) AS json(s)",
    "json_size": "(j, p) AS CAST(CASE json_type(CAST(j AS JSON), p) WHEN 'OBJECT' THEN len(json_keys(CAST(j AS JSON), p)) "
                 "WHEN 'ARRAY' THEN json_array_length(CAST(j AS JSON), p) ELSE 0 END AS BIGINT)",
    "json_query": "(j, p) AS json_extract(CAST(j AS JSON), regexp_replace(p, '^\\s*(lax|strict)\\s+', ''))",
    "json_value": "(j, p) AS json_extract_string(CAST(j AS JSON), regexp_replace(p, '^\\s*(lax|strict)\\s+', ''))",
    "json_exists": "(j, p) AS json_exists(CAST(j AS JSON), regexp_replace(p, '^\\s*(lax|strict)\\s+', ''))",
    # date and time
    "current_timezone": "() AS 'UTC'",
    "last_day_of_month": "(d) AS last_day(d)",
    "to_iso8601": "(x) AS CASE WHEN typeof(x) = 'DATE' THEN CAST(x AS VARCHAR) "
                  "WHEN typeof(x) LIKE 'TIMESTAMP WITH%' THEN strftime(x, '%Y-%m-%dT%H:%M:%S.%gZ') "
                  "ELSE strftime(x, '%Y-%m-%dT%H:%M:%S.%g') END",
    "to_milliseconds": "(i) AS CAST(round(epoch(i) * 1000) AS BIGINT)",
    "day_of_month": "(d) AS day(d)",
    "from_unixtime_nanos": "(n) AS CAST(make_timestamp(CAST(n // 1000 AS BIGINT)) AS TIMESTAMPTZ)",
    "millisecond": "(t) AS millisecond(t) % 1000",
    "yow": "(d) AS isoyear(d)",
    "parse_duration": "(s) AS to_microseconds(CAST(round(CAST(regexp_extract(trim(s), '^([0-9.]+)', 1) AS DOUBLE) * "
                      "CASE regexp_extract(trim(s), '([a-z]+)$', 1) WHEN 'ns' THEN 0.001 WHEN 'us' THEN 1 "
                      "WHEN 'ms' THEN 1000 WHEN 's' THEN 1000000 WHEN 'm' THEN 60000000 WHEN 'h' THEN 3600000000 "
                      "WHEN 'd' THEN 86400000000 END) AS BIGINT))",
    # array
    "all_match": "(a, f) AS list_bool_and(list_transform(a, f))",
    "any_match": "(a, f) AS list_bool_or(list_transform(a, f))",
    "none_match": "(a, f) AS NOT list_bool_or(list_transform(a, f))",
    "array_distinct": "(a) AS list_filter(a, (x, i) -> list_position(a, x) = i)",
    "array_union": "(a, b) AS trino_array_distinct(list_concat(a, b))",
    "array_except": "(a, b) AS list_filter(trino_array_distinct(a), x -> NOT list_contains(b, x))",
    "array_histogram": "(a) AS map_from_entries([{'key': k, 'value': CAST(len(list_filter(a, x -> x = k)) AS BIGINT)} "
                       "FOR k IN trino_array_distinct(list_filter(a, x -> x IS NOT NULL))])",
    "array_max": "(a) AS list_max(a)",
    "array_min": "(a) AS list_min(a)",
    "array_remove": "(a, v) AS list_filter(a, x -> x IS DISTINCT FROM v)",
    "arrays_overlap": "(a, b) AS list_has_any(a, b)",
    "combinations": "(a, n) AS CASE n WHEN 2 THEN flatten([[[a[i], a[j]] FOR j IN range(i + 1, len(a) + 1)] "
                    "FOR i IN range(1, len(a) + 1)]) WHEN 3 THEN flatten(flatten([[[[a[i], a[j], a[k]] "
                    "FOR k IN range(j + 1, len(a) + 1)] FOR j IN range(i + 1, len(a) + 1)] "
                    "FOR i IN range(1, len(a) + 1)])) ELSE error('combinations: the sandbox supports n = 2 or 3') END",
    "contains_sequence": "(a, s) AS len(s) = 0 OR coalesce(list_bool_or([a[i:i + len(s) - 1] = s "
                         "FOR i IN range(1, len(a) - len(s) + 2)]), false)",
    "filter": "(a, f) AS list_filter(a, f)",
    "transform": "(a, f) AS list_transform(a, f)",
    "ngrams": "(a, n) AS CASE WHEN len(a) <= n THEN [a] ELSE [a[i:i + n - 1] FOR i IN range(1, len(a) - n + 2)] END",
    "repeat": "(x, n) AS [x FOR i IN range(n)]",
    "sequence": "(a, b) AS generate_series(a, b, CASE WHEN a <= b THEN 1 ELSE -1 END), (a, b, s) AS generate_series(a, b, s)",
    "shuffle": "(a) AS [p.v FOR p IN list_sort([{'r': random(), 'v': x} FOR x IN a])]",
    "slice": "(a, s, n) AS CASE WHEN s > 0 THEN a[s:s + n - 1] ELSE a[len(a) + s + 1:len(a) + s + n] END",
    "trim_array": "(a, n) AS a[1:len(a) - n]",
    "zip": "(a, b) AS [{'field0': a[i], 'field1': b[i]} FOR i IN range(1, greatest(len(a), len(b)) + 1)], "
           "(a, b, c) AS [{'field0': a[i], 'field1': b[i], 'field2': c[i]} "
           "FOR i IN range(1, greatest(len(a), len(b), len(c)) + 1)]",
    # map
    "multimap_from_entries": "(a) AS map_from_entries([{'key': k, 'value': [struct_extract(e, 2) FOR e IN a "
                             "IF struct_extract(e, 1) = k]} FOR k IN trino_array_distinct([struct_extract(e, 1) FOR e IN a])])",
    "map_entries": "(m) AS [{'field0': e.key, 'field1': e.value} FOR e IN map_entries(m)]",
    # conditional and conversion
    "if": "(c, a) AS CASE WHEN c THEN a END, (c, a, b) AS CASE WHEN c THEN a ELSE b END",
    "typeof": "(x) AS CASE WHEN typeof(x) LIKE '%[]' THEN 'array(' || trino_type_name(typeof(x)[1:-3]) || ')' "
              "ELSE trino_type_name(typeof(x)) END",
    "type_name": "(t) AS coalesce(map_extract_value(MAP {'INTEGER': 'integer', 'BIGINT': 'bigint', "
                 "'SMALLINT': 'smallint', 'TINYINT': 'tinyint', 'DOUBLE': 'double', 'FLOAT': 'real', "
                 "'VARCHAR': 'varchar', 'BOOLEAN': 'boolean', 'DATE': 'date', 'TIMESTAMP': 'timestamp(3)', "
                 "'TIMESTAMP WITH TIME ZONE': 'timestamp(3) with time zone', 'BLOB': 'varbinary', "
                 "'JSON': 'json', 'INTERVAL': 'interval day to second', 'HUGEINT': 'decimal(38,0)', "
                 "'TIME': 'time(3)', '\"NULL\"': 'unknown'}, t), lower(t))",
    "varchar": "(x) AS CASE WHEN typeof(x) = 'TIMESTAMP' "
               "THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMP), '%Y-%m-%d %H:%M:%S.%g') "
               "WHEN typeof(x) = 'TIMESTAMP WITH TIME ZONE' "
               "THEN strftime(CAST(CAST(x AS VARCHAR) AS TIMESTAMPTZ), '%Y-%m-%d %H:%M:%S.%g UTC') "
               "ELSE CAST(x AS VARCHAR) END",
    # binary
    "md5": "(b) AS unhex(md5(b))",
    "sha1": "(b) AS unhex(sha1(b))",
    "sha256": "(b) AS unhex(sha256(b))",
    "from_hex": "(s) AS unhex(s)",
    # aggregates (macros may hold aggregates)
    "every": "(x) AS bool_and(x)",
    "map_agg": "(k, v) AS map_from_entries([{'key': e.k, 'value': e.v} FOR e IN list_filter(list({'k': k, 'v': v}) "
               "FILTER (WHERE k IS NOT NULL), (e, i) -> list_position([x.k FOR x IN list({'k': k, 'v': v}) "
               "FILTER (WHERE k IS NOT NULL)], e.k) = i)])",
    "multimap_agg": "(k, v) AS map_from_entries([{'key': kk, 'value': [e.v FOR e IN list({'k': k, 'v': v}) IF e.k = kk]} "
                    "FOR kk IN list_distinct(list(k))])",
    "approx_most_frequent": "(n, v, cap) AS map_from_entries([{'key': s.k, 'value': s.c} FOR s IN "
                            "list_reverse_sort([{'c': e.value, 'k': e.key} FOR e IN map_entries(histogram(v))])[1:n]])",
    "bitwise_and_agg": "(x) AS bit_and(CAST(x AS BIGINT))",
    "bitwise_or_agg": "(x) AS bit_or(CAST(x AS BIGINT))",
    "bitwise_xor_agg": "(x) AS bit_xor(CAST(x AS BIGINT))",
    "set_agg": "(x) AS list(DISTINCT x)",
    "set_union": "(a) AS list_distinct(flatten(list(a)))",
    "geometric_mean": "(x) AS exp(avg(ln(x)))",
    "entropy": "(c) AS CASE WHEN sum(c) FILTER (WHERE c > 0) > 0 THEN log2(sum(c) FILTER (WHERE c > 0)) - "
               "sum(c * log2(c)) FILTER (WHERE c > 0) / sum(c) FILTER (WHERE c > 0) ELSE 0.0 END",
}


# -- Python scalar functions -----------------------------------------------------------------------

def _cbrt(x: float) -> float:
    import math

    root = math.cbrt(x)
    whole = round(root)
    return float(whole) if whole ** 3 == x else root  # Java's Math.cbrt is exact for perfect cubes


def _from_base(text: str, radix: int) -> int:
    return int(text, int(radix))


def _to_base(value: int, radix: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    number, out = abs(int(value)), ""
    while True:
        number, rest = divmod(number, int(radix))
        out = digits[rest] + out
        if not number:
            break
    return ("-" if value < 0 else "") + out


def _normal_cdf(mean: float, sd: float, value: float) -> float:
    import math

    return 0.5 * (1 + math.erf((value - mean) / (sd * math.sqrt(2))))


def _inverse_normal_cdf(mean: float, sd: float, p: float) -> float:
    from statistics import NormalDist

    return NormalDist(mean, sd).inv_cdf(p)


def _beta_cdf(a: float, b: float, value: float) -> float:
    from scipy.special import betainc

    return float(betainc(a, b, value))


def _inverse_beta_cdf(a: float, b: float, p: float) -> float:
    from scipy.special import betaincinv

    return float(betaincinv(a, b, p))


def _luhn_check(text: str) -> bool:
    if not text or not text.isdigit():
        return False
    total = 0
    for position, char in enumerate(reversed(text)):
        digit = int(char)
        if position % 2:
            digit = digit * 2 - 9 if digit > 4 else digit * 2
        total += digit
    return total % 10 == 0


def _soundex(text: str) -> str:
    codes = {**dict.fromkeys("bfpv", "1"), **dict.fromkeys("cgjkqsxz", "2"), **dict.fromkeys("dt", "3"),
             "l": "4", **dict.fromkeys("mn", "5"), "r": "6"}
    letters = [c for c in text.lower() if c.isalpha()]
    if not letters:
        return ""
    out, last = letters[0].upper(), codes.get(letters[0], "")
    for char in letters[1:]:
        code = codes.get(char, "")
        if code and code != last:
            out += code
        if char not in "hw":
            last = code
    return (out + "000")[:4]


def _nth_position(text: str, sub: str, n: int) -> int:
    position = -1
    for _ in range(int(n)):
        position = text.find(sub, position + 1)
        if position < 0:
            return 0
    return position + 1


def _normalize_form(text: str, form: str) -> str:
    import unicodedata

    return unicodedata.normalize(form.strip("'\" ").upper(), text)


def _regexp_find(text: str, pattern: str, start: int, occurrence: int) -> int:
    found = 0
    for match in re.finditer(pattern, text[int(start) - 1:]):
        found += 1
        if found == int(occurrence):
            return match.start() + int(start)
    return -1


def _url_part(part: str) -> Callable[[str], Any]:
    def extract(url: str) -> Any:
        from urllib.parse import urlsplit

        try:
            parsed = urlsplit(url)
            if part == "host":
                return parsed.hostname
            if part == "port":
                return parsed.port
            if part == "protocol":
                return parsed.scheme or None
            if part == "path":
                return parsed.path
            if part == "query":
                return parsed.query if "?" in url else None
            return parsed.fragment if "#" in url else None
        except ValueError:
            return None

    return extract


def _url_extract_parameter(url: str, name: str) -> str | None:
    from urllib.parse import parse_qsl, urlsplit

    for key, value in parse_qsl(urlsplit(url).query, keep_blank_values=True):
        if key == name:
            return value
    return None


def _url_encode(text: str) -> str:
    safe = set(b"abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789.-*_")
    return "".join(chr(b) if b in safe else "+" if b == 32 else f"%{b:02X}" for b in text.encode())


def _url_decode(text: str) -> str:
    from urllib.parse import unquote_plus

    return unquote_plus(text)


def _human_readable_seconds(seconds: float) -> str:
    remaining = int(round(seconds))
    parts = []
    for unit, size in (("week", 604800), ("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count} {unit}{'' if count == 1 else 's'}")
    return ", ".join(parts) or "0 seconds"


def _parse_data_size(text: str) -> int:
    match = re.fullmatch(r"\s*([0-9.]+)\s*([kMGTPE]?B)\s*", text)
    if not match:
        raise ValueError(f"Invalid data size: '{text}'")
    power = "BkMGTPE".index(match.group(2)[0]) if match.group(2) != "B" else 0
    return int(float(match.group(1)) * 1024 ** power)


def _crc32(data: bytes) -> int:
    import zlib

    return zlib.crc32(data)


def _sha512(data: bytes) -> bytes:
    import hashlib

    return hashlib.sha512(data).digest()


_MASK = (1 << 64) - 1
_P1, _P2, _P3, _P4, _P5 = (11400714785074694791, 14029467366897019727, 1609587929392839161,
                           9650029242287828579, 2870177450012600261)


def _rotl(value: int, bits: int) -> int:
    return ((value << bits) | (value >> (64 - bits))) & _MASK


def _xxh_round(acc: int, lane: int) -> int:
    return (_rotl((acc + lane * _P2) & _MASK, 31) * _P1) & _MASK


def _xxhash64(data: bytes) -> bytes:
    """XXH64 with seed 0, as Trino's xxhash64 (big-endian varbinary)."""
    import struct

    length, i = len(data), 0
    if length >= 32:
        v = [(_P1 + _P2) & _MASK, _P2, 0, (-_P1) & _MASK]
        while i + 32 <= length:
            lanes = struct.unpack_from("<4Q", data, i)
            v = [_xxh_round(acc, lane) for acc, lane in zip(v, lanes)]
            i += 32
        h = (_rotl(v[0], 1) + _rotl(v[1], 7) + _rotl(v[2], 12) + _rotl(v[3], 18)) & _MASK
        for acc in v:
            h = ((h ^ _xxh_round(0, acc)) * _P1 + _P4) & _MASK
    else:
        h = _P5
    h = (h + length) & _MASK
    while i + 8 <= length:
        h = ((_rotl(h ^ _xxh_round(0, struct.unpack_from("<Q", data, i)[0]), 27)) * _P1 + _P4) & _MASK
        i += 8
    if i + 4 <= length:
        h = (_rotl(h ^ (struct.unpack_from("<I", data, i)[0] * _P1 & _MASK), 23) * _P2 + _P3) & _MASK
        i += 4
    while i < length:
        h = (_rotl(h ^ (data[i] * _P5 & _MASK), 11) * _P1) & _MASK
        i += 1
    h ^= h >> 33
    h = (h * _P2) & _MASK
    h ^= h >> 29
    h = (h * _P3) & _MASK
    h ^= h >> 32
    return h.to_bytes(8, "big")


def _to_big_endian_64(value: int) -> bytes:
    return int(value).to_bytes(8, "big", signed=True)


def _from_big_endian_64(data: bytes) -> int:
    if len(data) != 8:
        raise ValueError("expected 8-byte input")
    return int.from_bytes(data, "big", signed=True)


def _to_big_endian_32(value: int) -> bytes:
    return int(value).to_bytes(4, "big", signed=True)


def _from_big_endian_32(data: bytes) -> int:
    if len(data) != 4:
        raise ValueError("expected 4-byte input")
    return int.from_bytes(data, "big", signed=True)


def _split_to_multimap(text: str, entry: str, kv: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in text.split(entry):
        key, _, value = item.partition(kv)
        out.setdefault(key, []).append(value)
    return out


# name -> (function, parameter types, return type); types as DuckDB spells them
UDFS: dict[str, tuple[Callable[..., Any], list[str], str]] = {
    "cbrt": (_cbrt, ["DOUBLE"], "DOUBLE"),
    "from_base": (_from_base, ["VARCHAR", "BIGINT"], "BIGINT"),
    "to_base": (_to_base, ["BIGINT", "BIGINT"], "VARCHAR"),
    "normal_cdf": (_normal_cdf, ["DOUBLE", "DOUBLE", "DOUBLE"], "DOUBLE"),
    "inverse_normal_cdf": (_inverse_normal_cdf, ["DOUBLE", "DOUBLE", "DOUBLE"], "DOUBLE"),
    "beta_cdf": (_beta_cdf, ["DOUBLE", "DOUBLE", "DOUBLE"], "DOUBLE"),
    "inverse_beta_cdf": (_inverse_beta_cdf, ["DOUBLE", "DOUBLE", "DOUBLE"], "DOUBLE"),
    "luhn_check": (_luhn_check, ["VARCHAR"], "BOOLEAN"),
    "soundex": (_soundex, ["VARCHAR"], "VARCHAR"),
    "nth_position": (_nth_position, ["VARCHAR", "VARCHAR", "BIGINT"], "BIGINT"),
    "normalize_form": (_normalize_form, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    "regexp_find": (_regexp_find, ["VARCHAR", "VARCHAR", "BIGINT", "BIGINT"], "BIGINT"),
    "url_extract_host": (_url_part("host"), ["VARCHAR"], "VARCHAR"),
    "url_extract_port": (_url_part("port"), ["VARCHAR"], "BIGINT"),
    "url_extract_protocol": (_url_part("protocol"), ["VARCHAR"], "VARCHAR"),
    "url_extract_path": (_url_part("path"), ["VARCHAR"], "VARCHAR"),
    "url_extract_query": (_url_part("query"), ["VARCHAR"], "VARCHAR"),
    "url_extract_fragment": (_url_part("fragment"), ["VARCHAR"], "VARCHAR"),
    "url_extract_parameter": (_url_extract_parameter, ["VARCHAR", "VARCHAR"], "VARCHAR"),
    "url_encode": (_url_encode, ["VARCHAR"], "VARCHAR"),
    "url_decode": (_url_decode, ["VARCHAR"], "VARCHAR"),
    "human_readable_seconds": (_human_readable_seconds, ["DOUBLE"], "VARCHAR"),
    "parse_data_size": (_parse_data_size, ["VARCHAR"], "HUGEINT"),
    "crc32": (_crc32, ["BLOB"], "BIGINT"),
    "sha512": (_sha512, ["BLOB"], "BLOB"),
    "xxhash64": (_xxhash64, ["BLOB"], "BLOB"),
    "to_big_endian_64": (_to_big_endian_64, ["BIGINT"], "BLOB"),
    "from_big_endian_64": (_from_big_endian_64, ["BLOB"], "BIGINT"),
    "to_big_endian_32": (_to_big_endian_32, ["INTEGER"], "BLOB"),
    "from_big_endian_32": (_from_big_endian_32, ["BLOB"], "INTEGER"),
    "split_to_multimap": (_split_to_multimap, ["VARCHAR", "VARCHAR", "VARCHAR"], "MAP(VARCHAR, VARCHAR[])"),
}

# the names translate.py renames to trino_<name> (helpers such as nth_position are only reached that way)
RENAMED = (frozenset(MACROS) | frozenset(UDFS)) - {"nth_position", "normalize_form", "regexp_find", "type_name",
                                                  "varchar", "wilson"}

_CALL = re.compile(r"\btrino_(\w+)\s*\(")


def _needed(sql: str) -> list[str]:
    """The trino_* functions ``sql`` calls, with the ones their macros call, dependencies first."""
    order: list[str] = []

    def visit(name: str) -> None:
        if name in order or (name not in MACROS and name not in UDFS):
            return
        if name in MACROS:
            for inner in _CALL.findall(MACROS[name]):
                if inner != name:
                    visit(inner)
        order.append(name)

    for name in _CALL.findall(sql):
        visit(name)
    return order


def install(con: Any, sql: str) -> None:
    """Define in ``con`` the trino_* functions that ``sql`` uses."""
    import duckdb

    for name in _needed(sql):
        if name in UDFS:
            fn, params, returns = UDFS[name]
            try:
                con.create_function(f"trino_{name}", fn, [duckdb.sqltype(p) for p in params],
                                    duckdb.sqltype(returns),
                                    exception_handling="return_null" if name in _NULL_ON_ERROR else "default")
            except duckdb.NotImplementedException:  # defined by an earlier statement on this pooled connection
                pass
        else:
            con.execute(f"CREATE OR REPLACE TEMP MACRO trino_{name}{MACROS[name]}")


_NULL_ON_ERROR = {"url_extract_host", "url_extract_port", "url_extract_protocol", "url_extract_path",
                  "url_extract_query", "url_extract_fragment", "url_extract_parameter"}
