"""S3: buckets -> prefixes -> objects (100 per page), object details, preview, upload, delete."""

from __future__ import annotations

import csv
import gzip
import io
import json
from typing import Any

from emulators.console import ui
from emulators.console.app import BadRequest, Context, Redirect, safe
from emulators.console.pages import route

PAGE_SIZE = 100
PREVIEW_ROWS = 20
PREVIEW_BYTES = 64 * 1024
PARQUET_PREVIEW_LIMIT = 64 * 1024 * 1024


def _crumbs(bucket: str = "", prefix: str = "", key: str = "") -> list[tuple[str, str | None]]:
    crumbs: list[tuple[str, str | None]] = [("Amazon S3", "/s3/")]
    if bucket:
        crumbs.append((bucket, ui.url("/s3/bucket", name=bucket)[len(ui.BASE):]))
        parts = (key.rsplit("/", 1)[0] + "/" if "/" in key else "") if key else prefix
        walked = ""
        for part in [p for p in parts.split("/") if p]:
            walked += part + "/"
            crumbs.append((part, ui.url("/s3/bucket", name=bucket, prefix=walked)[len(ui.BASE):]))
        if key:
            crumbs.append((key.rsplit("/", 1)[-1], None))
    return crumbs


@route("/s3/")
def buckets(ctx: Context) -> ui.Markup:
    s3 = ctx.client("s3")
    listing, error = safe(ctx, lambda: s3.list_buckets(), "Amazon S3")
    rows = [(ui.link(b["Name"], ui.url("/s3/bucket", name=b["Name"])), "us-east-1", ui.when(b.get("CreationDate")))
            for b in (listing or {}).get("Buckets", [])]
    body = error + ui.panel(f"General purpose buckets ({len(rows)})",
                            ui.table(["Name", "AWS Region", "Creation date"], rows, "No buckets."))
    return ui.page("Buckets", body, _crumbs(), "S3")


@route("/s3/bucket")
def bucket(ctx: Context) -> ui.Markup:
    name, prefix, token = ctx.arg("name"), ctx.arg("prefix"), ctx.arg("page")
    if not name:
        raise Redirect(ui.url("/s3/"))
    s3 = ctx.client("s3")
    params: dict[str, Any] = {"Bucket": name, "Prefix": prefix, "Delimiter": "/", "MaxKeys": PAGE_SIZE}
    if token:
        params["ContinuationToken"] = token
    listing, error = safe(ctx, lambda: s3.list_objects_v2(**params), f"Bucket {name}")
    rows = []
    for common in (listing or {}).get("CommonPrefixes", []):
        sub = common["Prefix"]
        rows.append((ui.link(sub[len(prefix):], ui.url("/s3/bucket", name=name, prefix=sub)), "Folder", "-", "-", "-"))
    for item in (listing or {}).get("Contents", []):
        if item["Key"] == prefix:
            continue
        short = item["Key"][len(prefix):]
        kind = short.rsplit(".", 1)[-1] if "." in short else "-"
        rows.append((ui.link(short, ui.url("/s3/object", bucket=name, key=item["Key"])), kind,
                     ui.when(item.get("LastModified")), ui.size(item.get("Size")), item.get("StorageClass", "STANDARD")))
    pager = []
    if token:
        pager.append(ui.link("First page", ui.url("/s3/bucket", name=name, prefix=prefix)))
    if listing and listing.get("IsTruncated"):
        pager.append(ui.link("Next page \u203a", ui.url("/s3/bucket", name=name, prefix=prefix,
                                                          page=listing["NextContinuationToken"]), "next-page"))
    upload = ui.form(ui.url("/s3/upload"), ui.Markup(
        ui.hidden("bucket", name) + ui.Markup('<div class="row">') + ui.text_input("prefix", prefix, "Prefix") +
        ui.Markup('<label class="field">File<input type="file" name="file" id="file" required></label></div>')),
        ctx.csrf, "Upload", multipart=True)
    at_root = not token and not prefix  # the bucket's own settings, on its first page only
    props, props_error = safe(ctx, lambda: _bucket_properties(s3, name), "Bucket properties") if at_root else (None, "")
    body = (error + ui.panel(f"Objects ({len(rows)}{'+' if listing and listing.get('IsTruncated') else ''})",
                             ui.table(["Name", "Type", "Last modified", "Size", "Storage class"], rows,
                                      "No objects under this prefix.") +
                             ui.Markup(f'<div class="pager">{ui.join(pager)}</div>'))
            + ui.panel("Upload", upload))
    if props is not None or props_error:
        body += props_error + (ui.panel("Properties", ui.pairs(props)) if props else "")
    return ui.page(name + ("/" + prefix if prefix else ""), body, _crumbs(name, prefix), "S3")


def _bucket_properties(s3: Any, name: str) -> dict[str, Any]:
    props: dict[str, Any] = {}
    versioning = s3.get_bucket_versioning(Bucket=name)
    props["Bucket Versioning"] = versioning.get("Status", "Disabled")
    try:
        rules = s3.get_bucket_encryption(Bucket=name)["ServerSideEncryptionConfiguration"]["Rules"]
        default = rules[0]["ApplyServerSideEncryptionByDefault"]
        props["Default encryption"] = default.get("SSEAlgorithm")
        props["KMS key"] = default.get("KMSMasterKeyID", "-")
    except Exception:
        props["Default encryption"] = "-"
    try:
        tags = s3.get_bucket_tagging(Bucket=name)["TagSet"]
        props["Tags"] = ", ".join(f"{t['Key']}={t['Value']}" for t in tags)
    except Exception:
        props["Tags"] = "-"
    return props


@route("/s3/object")
def obj(ctx: Context) -> ui.Markup:
    name, key, version = ctx.arg("bucket"), ctx.arg("key"), ctx.arg("version")
    if not name or not key:
        raise Redirect(ui.url("/s3/"))
    s3 = ctx.client("s3")
    extra = {"VersionId": version} if version else {}
    head, error = safe(ctx, lambda: s3.head_object(Bucket=name, Key=key, **extra), f"Object {key}")
    if head is None:
        return ui.page(key, error, _crumbs(name, key=key), "S3")
    tags, _ = safe(ctx, lambda: s3.get_object_tagging(Bucket=name, Key=key, **extra)["TagSet"], "Tags")

    def load_versions() -> dict[str, Any]:
        # ListObjectVersions walks the whole bucket in the sandbox's S3 (seconds with 10,000 objects), so only
        # buckets that keep versions are asked; an unversioned object has the one version HeadObject describes
        if s3.get_bucket_versioning(Bucket=name).get("Status") not in ("Enabled", "Suspended"):
            return {"Versions": [{"Key": key, "VersionId": "null", "IsLatest": True, "Size": head.get("ContentLength"),
                                  "LastModified": head.get("LastModified")}]}
        return s3.list_object_versions(Bucket=name, Prefix=key, MaxKeys=50)

    versions, versions_error = safe(ctx, load_versions, "Versions")
    overview = ui.pairs([
        ("Bucket", name), ("Key", key), ("Size", ui.size(head.get("ContentLength"))),
        ("Last modified", ui.when(head.get("LastModified"))), ("Type", head.get("ContentType")),
        ("ETag", head.get("ETag")), ("Storage class", head.get("StorageClass", "STANDARD")),
        ("Version ID", head.get("VersionId", "null")),
        ("S3 URI", f"s3://{name}/{key}"),
    ])
    encryption = ui.pairs([
        ("Server-side encryption", head.get("ServerSideEncryption", "None")),
        ("Encryption key ARN", head.get("SSEKMSKeyId", "-")),
        ("Bucket Key", "Enabled" if head.get("BucketKeyEnabled") else "Disabled"),
    ])
    tag_rows = [(t["Key"], t["Value"]) for t in tags or []]
    meta_rows = [("System defined", "Content-Type", head.get("ContentType", "-"))]
    meta_rows += [("User defined", f"x-amz-meta-{k}", v) for k, v in (head.get("Metadata") or {}).items()]
    version_rows = []
    for item in (versions or {}).get("Versions", []) + (versions or {}).get("DeleteMarkers", []):
        if item["Key"] != key:
            continue
        vid = item.get("VersionId", "null")
        label = ui.link(vid, ui.url("/s3/object", bucket=name, key=key, version=vid)) \
            if "Size" in item and vid != "null" else vid
        version_rows.append((label, "Delete marker" if "Size" not in item else ("Current" if item.get("IsLatest") else ""),
                             ui.when(item.get("LastModified")), ui.size(item.get("Size"))))
    preview, preview_error = safe(ctx, lambda: _preview(s3, name, key, head, extra), "Preview")
    delete = ui.form(ui.url("/s3/delete"), ui.hidden("bucket", name) + ui.hidden("key", key) +
                     (ui.hidden("version", version) if version else ""), ctx.csrf,
                     "Delete this version" if version else "Delete", cls="inline", button_cls="danger")
    body = (ui.panel("Object overview", overview, delete) +
            ui.panel("Server-side encryption settings", encryption) +
            ui.panel(f"Tags ({len(tag_rows)})", ui.table(["Key", "Value"], tag_rows, "No tags.")) +
            ui.panel("Metadata", ui.table(["Type", "Key", "Value"], meta_rows)) +
            preview_error + ui.panel("Preview", preview or ui.Markup('<p class="muted">No preview.</p>')) +
            versions_error + ui.panel("Versions", ui.table(["Version ID", "", "Last modified", "Size"], version_rows)))
    return ui.page(key.rsplit("/", 1)[-1], body, _crumbs(name, key=key), "S3")


def _preview(s3: Any, bucket: str, key: str, head: dict[str, Any], extra: dict[str, Any]) -> ui.Markup:
    """The first rows of a CSV, JSON lines or Parquet object (the object is read through S3)."""
    lower = key.lower()
    gz = lower.endswith(".gz")
    base = lower[:-3] if gz else lower
    length = int(head.get("ContentLength") or 0)
    if base.endswith(".parquet") or base.endswith(".parq"):
        if length > PARQUET_PREVIEW_LIMIT:
            return ui.message(f"The object is {ui.size(length)}; the console previews Parquet objects up to "
                              f"{ui.size(PARQUET_PREVIEW_LIMIT)}.")
        import pyarrow.parquet as pq

        data = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read()
        parquet = pq.ParquetFile(io.BytesIO(data))
        batch = next(parquet.iter_batches(batch_size=PREVIEW_ROWS), None)
        columns = parquet.schema_arrow.names
        rows = batch.to_pylist() if batch is not None else []
        return _rows_table(columns, [[r.get(c) for c in columns] for r in rows],
                           f"Parquet, {parquet.metadata.num_rows} rows, {parquet.metadata.num_row_groups} row group(s)")
    kind = ("csv" if base.endswith((".csv", ".tsv")) else
            "json" if base.endswith((".json", ".jsonl", ".ndjson")) else
            "text" if base.endswith((".txt", ".log", ".out")) else "")
    if not kind:
        content_type = head.get("ContentType", "")
        kind = "csv" if "csv" in content_type else "json" if "json" in content_type else ""
    if not kind:
        return ui.Markup('<p class="muted">The console previews CSV, JSON lines and Parquet objects.</p>')
    if gz:
        data = s3.get_object(Bucket=bucket, Key=key, **extra)["Body"].read(PREVIEW_BYTES * 16)
        try:
            data = gzip.GzipFile(fileobj=io.BytesIO(data)).read(PREVIEW_BYTES)
        except (EOFError, OSError):
            data = gzip.decompress(data)[:PREVIEW_BYTES] if len(data) < PREVIEW_BYTES * 16 else b""
    else:
        data = s3.get_object(Bucket=bucket, Key=key, Range=f"bytes=0-{PREVIEW_BYTES - 1}", **extra)["Body"].read()
    text = data.decode("utf-8", errors="replace")
    lines = text.splitlines()
    if len(data) >= PREVIEW_BYTES and lines:
        lines = lines[:-1]  # the last line may be cut
    lines = lines[:PREVIEW_ROWS + 1]
    if kind == "csv":
        delimiter = "\t" if base.endswith(".tsv") else ","
        rows = list(csv.reader(lines, delimiter=delimiter))
        if not rows:
            return ui.Markup('<p class="muted">Empty object.</p>')
        header = rows[0]
        looks_like_header = all(not _is_number(v) for v in header)
        if looks_like_header:
            return _rows_table(header, rows[1:PREVIEW_ROWS + 1], "CSV")
        return _rows_table([f"_{i + 1}" for i in range(len(header))], rows[:PREVIEW_ROWS], "CSV (no header row)")
    if kind == "json":
        records = []
        for line in lines[:PREVIEW_ROWS]:
            line = line.strip()
            if not line:
                continue
            try:
                records.append(json.loads(line))
            except ValueError:
                try:
                    whole = json.loads(text)
                    return ui.code_block(whole)
                except ValueError:
                    return ui.code_block(text[:4000])
        if records and all(isinstance(r, dict) for r in records):
            columns = list(dict.fromkeys(k for r in records for k in r))
            return _rows_table(columns, [[_cell(r.get(c)) for c in columns] for r in records], "JSON lines")
        return ui.code_block("\n".join(lines[:PREVIEW_ROWS]))
    return ui.code_block("\n".join(lines[:PREVIEW_ROWS * 2]))


def _cell(value: Any) -> Any:
    return json.dumps(value) if isinstance(value, (dict, list)) else value


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _rows_table(columns: list[str], rows: list[list[Any]], caption: str) -> ui.Markup:
    return (ui.Markup(f'<p class="muted">{ui.esc(caption)}: first {len(rows)} rows</p>') +
            ui.table(columns, [[_cell(v) for v in row] for row in rows], "No rows.", cls="preview"))


@route("/s3/upload", "POST")
def upload(ctx: Context) -> Any:
    name = ctx.field("bucket")
    prefix = ctx.field("prefix")
    file = ctx.request.files.get("file")
    if not name or file is None or not file.filename:
        raise BadRequest("Choose a bucket and a file to upload.")
    key = prefix + file.filename.replace("\\", "/").rsplit("/", 1)[-1]
    s3 = ctx.client("s3")
    _, error = safe(ctx, lambda: s3.put_object(Bucket=name, Key=key, Body=file.stream.read(),
                                               ContentType=file.mimetype or "application/octet-stream"), "Upload")
    if error:
        return ui.page("Upload failed", error, _crumbs(name, prefix), "S3")
    raise Redirect(ui.url("/s3/object", bucket=name, key=key))


@route("/s3/delete", "POST")
def delete(ctx: Context) -> Any:
    name, key, version = ctx.field("bucket"), ctx.field("key"), ctx.field("version")
    if not name or not key:
        raise BadRequest("Choose an object to delete.")
    s3 = ctx.client("s3")
    extra = {"VersionId": version} if version else {}
    _, error = safe(ctx, lambda: s3.delete_object(Bucket=name, Key=key, **extra), "Delete")
    if error:
        return ui.page("Delete failed", error, _crumbs(name, key=key), "S3")
    prefix = key.rsplit("/", 1)[0] + "/" if "/" in key else ""
    raise Redirect(ui.url("/s3/bucket", name=name, prefix=prefix))
