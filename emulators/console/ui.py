"""HTML building blocks of the console: escaping, the page frame, tables, forms.

Everything that reaches a page goes through :func:`esc` unless it is a :class:`Markup`
(a string this module or the chart module built from escaped parts). Pages are plain
server-side HTML; there is no JavaScript.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from collections.abc import Iterable, Mapping, Sequence
from typing import Any
from urllib.parse import urlencode

BASE = "/_console"


class Markup(str):
    """A string that is already HTML (built from escaped parts). Adding a plain string escapes it."""

    def __add__(self, other: object) -> Markup:
        return Markup(str.__add__(self, esc(other)))

    def __radd__(self, other: object) -> Markup:
        return Markup(str.__add__(esc(other), self))


def esc(value: Any) -> Markup:
    if isinstance(value, Markup):
        return value
    if value is None:
        return Markup("")
    return Markup(html.escape(str(value), quote=True))


def join(parts: Iterable[Any], sep: str = "") -> Markup:
    return Markup(sep.join(esc(p) for p in parts))


def url(path: str, **params: Any) -> str:
    """A console URL: ``url("/s3/bucket", name="b")`` -> ``/_console/s3/bucket?name=b``."""
    query = {k: v for k, v in params.items() if v is not None and v != ""}
    return BASE + path + ("?" + urlencode(query) if query else "")


def link(text: Any, href: str, cls: str = "") -> Markup:
    attr = f' class="{esc(cls)}"' if cls else ""
    return Markup(f'<a href="{esc(href)}"{attr}>{esc(text)}</a>')


def when(value: Any) -> str:
    """A timestamp as the AWS console shows it (UTC, to the second)."""
    if value is None or value == "":
        return "-"
    if isinstance(value, (int, float)):
        seconds = value / 1000 if value > 10**11 else value
        value = _dt.datetime.fromtimestamp(seconds, tz=_dt.timezone.utc)
    if isinstance(value, _dt.datetime):
        if value.tzinfo is None:
            value = value.replace(tzinfo=_dt.timezone.utc)
        return value.astimezone(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC")
    return str(value)


def size(n: Any) -> str:
    if n is None:
        return "-"
    n = float(n)
    for unit in ("B", "KB", "MB", "GB", "TB"):
        if n < 1024 or unit == "TB":
            return f"{int(n)} {unit}" if unit == "B" else f"{n:.1f} {unit}"
        n /= 1024
    return str(n)


def duration(seconds: Any) -> str:
    if seconds is None:
        return "-"
    seconds = float(seconds)
    if seconds < 1:
        return f"{seconds * 1000:.0f} ms"
    if seconds < 120:
        return f"{seconds:.1f} s"
    return f"{int(seconds // 60)} min {int(seconds % 60)} s"


STATUS_CLASSES = {
    "ok": {"SUCCEEDED", "COMPLETED", "INSERVICE", "ACTIVE", "AVAILABLE", "READY", "SUCCESS", "OK", "ENABLED",
           "FINISHED", "APPROVED", "SUCCEEDED_WITH_ERRORS"},
    "bad": {"FAILED", "ERROR", "TIMED_OUT", "TIMEOUT", "ABORTED", "ALARM", "STOPPED", "CANCELLED", "REJECTED",
            "DELETING", "FAILURE"},
    "busy": {"RUNNING", "QUEUED", "STARTING", "INPROGRESS", "IN_PROGRESS", "CREATING", "UPDATING", "PENDING",
             "SUBMITTED", "STOPPING", "EXECUTING", "STARTED", "WAITING", "RUNNABLE"},
}


def status(value: Any) -> Markup:
    """A status badge coloured like the AWS console's (green, red, blue, grey)."""
    text = str(value or "-")
    key = text.upper().replace(" ", "").replace("-", "")
    cls = next((c for c, names in STATUS_CLASSES.items() if key in {n.replace("_", "") for n in names}
                or key in names), "idle")
    return Markup(f'<span class="status status-{cls}" data-status="{esc(text)}">{esc(text)}</span>')


def table(headers: Sequence[str], rows: Iterable[Sequence[Any]], empty: str = "No resources to display.",
          cls: str = "") -> Markup:
    rows = list(rows)
    head = "".join(f"<th>{esc(h)}</th>" for h in headers)
    if not rows:
        body = f'<tr><td colspan="{len(headers)}" class="empty">{esc(empty)}</td></tr>'
    else:
        body = "".join("<tr>" + "".join(f"<td>{esc(cell)}</td>" for cell in row) + "</tr>" for row in rows)
    return Markup(f'<table class="table {esc(cls)}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>')


def pairs(items: Mapping[str, Any] | Sequence[tuple[str, Any]]) -> Markup:
    """A key/value panel (the console's "General configuration" boxes)."""
    entries = items.items() if isinstance(items, Mapping) else items
    cells = "".join(f'<div class="kv"><div class="k">{esc(k)}</div><div class="v">{esc(v if v not in (None, "") else "-")}</div></div>'
                    for k, v in entries)
    return Markup(f'<div class="kvs">{cells}</div>')


def panel(title: str, body: Any, actions: Any = "") -> Markup:
    return Markup(f'<section class="panel"><header><h2>{esc(title)}</h2><div class="actions">{esc(actions)}</div>'
                  f'</header><div class="panel-body">{esc(body)}</div></section>')


def message(text: Any, kind: str = "info") -> Markup:
    return Markup(f'<div class="flash flash-{esc(kind)}" role="status">{esc(text)}</div>')


def code_block(value: Any) -> Markup:
    if not isinstance(value, str):
        value = json.dumps(value, indent=2, default=str)
    return Markup(f"<pre class=\"code\">{esc(value)}</pre>")


def hidden(name: str, value: Any) -> Markup:
    return Markup(f'<input type="hidden" name="{esc(name)}" value="{esc(value)}">')


def form(action: str, body: Any, csrf: str, submit: str = "Submit", multipart: bool = False,
         cls: str = "", button_cls: str = "primary", form_id: str = "") -> Markup:
    """A POST form carrying the session's CSRF token."""
    enctype = ' enctype="multipart/form-data"' if multipart else ""
    fid = f' id="{esc(form_id)}"' if form_id else ""
    return Markup(f'<form method="post" action="{esc(action)}"{enctype} class="{esc(cls)}"{fid}>'
                  f'{hidden("csrf", csrf)}{esc(body)}'
                  f'<button type="submit" class="btn {esc(button_cls)}">{esc(submit)}</button></form>')


def select(name: str, options: Sequence[str], chosen: str | None = None, label: str = "") -> Markup:
    opts = "".join(f'<option value="{esc(o)}"{" selected" if o == chosen else ""}>{esc(o)}</option>' for o in options)
    field = f'<select name="{esc(name)}" id="{esc(name)}">{opts}</select>'
    return Markup(f'<label class="field">{esc(label)}{field}</label>' if label else field)


def text_input(name: str, value: Any = "", label: str = "", placeholder: str = "") -> Markup:
    field = (f'<input type="text" name="{esc(name)}" id="{esc(name)}" value="{esc(value)}" '
             f'placeholder="{esc(placeholder)}">')
    return Markup(f'<label class="field">{esc(label)}{field}</label>' if label else field)


def textarea(name: str, value: Any = "", rows: int = 6, label: str = "") -> Markup:
    field = f'<textarea name="{esc(name)}" id="{esc(name)}" rows="{rows}" spellcheck="false">{esc(value)}</textarea>'
    return Markup(f'<label class="field">{esc(label)}{field}</label>' if label else field)


def tabs(items: Sequence[tuple[str, str]], current: str) -> Markup:
    cells = "".join(f'<a class="tab{" current" if key == current else ""}" href="{esc(href)}">{esc(key)}</a>'
                    for key, href in items)
    return Markup(f'<nav class="tabs">{cells}</nav>')


NAV = [
    ("Console Home", "/"),
    ("S3", "/s3/"),
    ("Glue", "/glue/"),
    ("Athena", "/athena/"),
    ("Redshift", "/redshift/"),
    ("Kinesis", "/kinesis/"),
    ("Firehose", "/firehose/"),
    ("Lambda", "/lambda/"),
    ("EventBridge", "/events/"),
    ("Step Functions", "/stepfunctions/"),
    ("SageMaker AI", "/sagemaker/"),
    ("CloudWatch", "/cloudwatch/"),
]


def page(title: str, body: Any, crumbs: Sequence[tuple[str, str | None]] = (), service: str = "",
         refresh: int | None = None) -> Markup:
    """The whole page: top bar, service navigation, breadcrumbs, title, content."""
    nav = "".join(f'<a href="{esc(BASE + path)}" class="{"current" if name == service else ""}">{esc(name)}</a>'
                  for name, path in NAV)
    trail = []
    for text, href in crumbs:
        trail.append(link(text, BASE + href) if href is not None else Markup(f"<span>{esc(text)}</span>"))
    crumbs_html = Markup('<nav class="breadcrumbs" aria-label="Breadcrumbs">' +
                         '<span class="sep">&rsaquo;</span>'.join(trail) + "</nav>") if trail else ""
    meta = f'<meta http-equiv="refresh" content="{int(refresh)}">' if refresh else ""
    return Markup(f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
{meta}<title>{esc(title)} | Sandbox console</title><style>{CSS}</style></head>
<body><header class="topbar"><a class="brand" href="{BASE}/">sandbox<span>console</span></a>
<span class="region">us-east-1 (local)</span></header>
<div class="layout"><nav class="sidenav" aria-label="Services">{nav}</nav>
<main>{crumbs_html}<h1>{esc(title)}</h1>{esc(body)}</main></div></body></html>""")


def bare_page(title: str, body: Any) -> Markup:
    """A page without navigation (the 403 page: nothing behind it is shown)."""
    return Markup(f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{esc(title)}</title>
<style>{CSS}</style></head><body><header class="topbar"><span class="brand">sandbox<span>console</span></span>
</header><main class="narrow"><h1>{esc(title)}</h1>{esc(body)}</main></body></html>""")


CSS = """
*{box-sizing:border-box}body{margin:0;font:14px/1.45 "Amazon Ember","Helvetica Neue",Roboto,Arial,sans-serif;
color:#16191f;background:#f2f3f3}a{color:#0972d3;text-decoration:none}a:hover{text-decoration:underline}
.topbar{background:#232f3e;color:#fff;height:40px;display:flex;align-items:center;padding:0 16px;gap:24px}
.brand{color:#fff;font-weight:700;font-size:16px}.brand span{color:#ff9900;margin-left:4px;font-weight:400}
.region{margin-left:auto;color:#d1d5db;font-size:12px}.layout{display:flex;min-height:calc(100vh - 40px)}
.sidenav{width:200px;background:#fff;border-right:1px solid #e9ebed;padding:12px 0;flex-shrink:0}
.sidenav a{display:block;padding:5px 20px;color:#414d5c}.sidenav a.current{color:#0972d3;font-weight:700;
border-left:3px solid #0972d3;padding-left:17px}main{flex:1;padding:16px 28px;min-width:0}main.narrow{max-width:760px;margin:0 auto}
h1{font-size:24px;font-weight:700;margin:6px 0 16px}h2{font-size:18px;margin:0}h3{font-size:15px;margin:14px 0 6px}
.breadcrumbs{font-size:13px;color:#5f6b7a}.breadcrumbs .sep{margin:0 6px;color:#8d99a8}
.panel{background:#fff;border-radius:12px;box-shadow:0 1px 4px rgba(0,7,22,.12);margin-bottom:20px}
.panel>header{display:flex;align-items:center;justify-content:space-between;padding:14px 20px 6px}
.panel-body{padding:8px 20px 16px;overflow-x:auto}.table{border-collapse:collapse;width:100%}
.table th{text-align:left;font-weight:700;color:#414d5c;border-bottom:1px solid #e9ebed;padding:8px 10px;
background:#fafafa;white-space:nowrap}.table td{border-bottom:1px solid #f2f3f3;padding:7px 10px;vertical-align:top}
.table td.empty{color:#5f6b7a;text-align:center;padding:18px}.status{font-weight:700;white-space:nowrap}
.status::before{content:"\\25CF";margin-right:5px}.status-ok{color:#037f0c}.status-bad{color:#d91515}
.status-busy{color:#0972d3}.status-idle{color:#5f6b7a}.kvs{display:grid;grid-template-columns:repeat(auto-fill,minmax(230px,1fr));gap:12px 24px}
.kv .k{color:#5f6b7a;font-size:12px}.kv .v{word-break:break-all}.flash{padding:10px 16px;border-radius:8px;margin-bottom:14px;
border:1px solid}.flash-info{background:#f2f8fd;border-color:#0972d3}.flash-error{background:#fff7f7;border-color:#d91515}
.flash-success{background:#f2fcf3;border-color:#037f0c}.btn{border-radius:20px;border:2px solid #0972d3;padding:4px 18px;
font-weight:700;background:#fff;color:#0972d3;cursor:pointer;font-size:14px}.btn.primary{background:#ff9900;border-color:#ff9900;
color:#0f1b2a}.btn.danger{border-color:#d91515;color:#d91515}form{margin:0}form.inline{display:inline}
.field{display:flex;flex-direction:column;gap:3px;font-weight:700;color:#414d5c;margin-bottom:10px}
.field input,.field select,.field textarea,select,input[type=text]{font:inherit;font-weight:400;border:1px solid #7d8998;
border-radius:8px;padding:5px 8px;background:#fff}textarea{font-family:Menlo,Consolas,monospace;font-size:13px;width:100%}
.row{display:flex;gap:16px;flex-wrap:wrap;align-items:flex-end}.tabs{display:flex;gap:2px;border-bottom:1px solid #d1d5db;margin-bottom:14px;flex-wrap:wrap}
.tab{padding:8px 14px;color:#414d5c}.tab.current{color:#0972d3;border-bottom:3px solid #0972d3;font-weight:700}
pre.code{background:#0f1b2a;color:#e9ebed;padding:10px;border-radius:8px;overflow:auto;max-height:420px;font-size:12px}
.cards{display:grid;grid-template-columns:repeat(auto-fill,minmax(210px,1fr));gap:14px}.card{background:#fff;border-radius:12px;
padding:14px 18px;box-shadow:0 1px 4px rgba(0,7,22,.12)}.card .n{font-size:28px;font-weight:700}.card .what{color:#5f6b7a;font-size:12px}
.split{display:grid;grid-template-columns:minmax(0,3fr) minmax(0,2fr);gap:20px}.muted{color:#5f6b7a}.pager{margin-top:10px;display:flex;gap:16px}
.graph text{font:12px Arial,sans-serif}.diff-add{background:#e6ffec}.diff-del{background:#ffebe9}
"""
