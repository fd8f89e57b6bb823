"""The console's door: the admin token, the session cookie, CSRF and same-origin POSTs; pages that
escape what they show, paginate and degrade when a service is down."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import pytest
import requests

from .conftest import ConsoleCloud, csrf_of, free_port_url, serve_console


def test_no_token_is_403_with_a_page_that_says_what_to_run(console):
    response = requests.get(console.url(), timeout=10, allow_redirects=False)
    assert response.status_code == 403
    assert "sandbox console" in response.text
    wrong = requests.get(console.url("?token=not-the-token"), timeout=10, allow_redirects=False)
    assert wrong.status_code == 403
    assert "sandbox_console" not in wrong.headers.get("Set-Cookie", "")


def test_token_opens_a_strict_httponly_session_and_leaves_the_url(console):
    response = requests.get(console.url("s3/?token=" + console.token), timeout=10, allow_redirects=False)
    assert response.status_code == 303
    assert response.headers["Location"] == "/_console/s3/"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("sandbox_console=")
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/_console/" in cookie
    session = requests.Session()
    page = session.get(console.url("s3/?token=" + console.token), timeout=30)
    assert page.status_code == 200 and page.url.endswith("/_console/s3/")
    assert "Buckets" in page.text
    assert "frame-ancestors 'none'" in page.headers["Content-Security-Policy"]


def _object_page(aws, signed_in, console, bucket, key):
    page = signed_in.get(console.url("s3/object"), params={"bucket": bucket, "key": key}, timeout=30)
    assert page.status_code == 200
    return page


def test_post_without_csrf_token_is_refused_and_nothing_changes(aws, s3_bucket, signed_in, console):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="keep.txt", Body=b"x")
    refused = signed_in.post(console.url("s3/delete"), data={"bucket": s3_bucket, "key": "keep.txt"}, timeout=30,
                             allow_redirects=False)
    assert refused.status_code == 403
    wrong = signed_in.post(console.url("s3/delete"), data={"bucket": s3_bucket, "key": "keep.txt", "csrf": "guess"},
                           timeout=30, allow_redirects=False)
    assert wrong.status_code == 403
    # a GET never changes anything: there is no GET route for delete
    assert signed_in.get(console.url("s3/delete"), params={"bucket": s3_bucket, "key": "keep.txt"},
                         timeout=30).status_code == 404
    assert s3.head_object(Bucket=s3_bucket, Key="keep.txt")["ContentLength"] == 1


def test_cross_site_post_is_refused_even_with_the_token(aws, s3_bucket, signed_in, console):
    s3 = aws.client("s3")
    s3.put_object(Bucket=s3_bucket, Key="keep.txt", Body=b"x")
    csrf = csrf_of(_object_page(aws, signed_in, console, s3_bucket, "keep.txt").text)
    form = {"bucket": s3_bucket, "key": "keep.txt", "csrf": csrf}
    foreign = signed_in.post(console.url("s3/delete"), data=form, headers={"Origin": "http://evil.example"},
                             timeout=30, allow_redirects=False)
    assert foreign.status_code == 403
    marked = signed_in.post(console.url("s3/delete"), data=form, headers={"Sec-Fetch-Site": "cross-site"},
                            timeout=30, allow_redirects=False)
    assert marked.status_code == 403
    assert s3.head_object(Bucket=s3_bucket, Key="keep.txt")["ContentLength"] == 1
    # the same form from the console's own origin goes through
    origin = re.match(r"https?://[^/]+", console.base).group(0)
    done = signed_in.post(console.url("s3/delete"), data=form, headers={"Origin": origin}, timeout=30,
                          allow_redirects=False)
    assert done.status_code == 303
    assert s3.list_objects_v2(Bucket=s3_bucket).get("KeyCount") == 0


def test_upload_form_puts_the_object(aws, s3_bucket, signed_in, console):
    page = signed_in.get(console.url("s3/bucket"), params={"name": s3_bucket}, timeout=30)
    response = signed_in.post(console.url("s3/upload"), data={"bucket": s3_bucket, "prefix": "in/",
                                                              "csrf": csrf_of(page.text)},
                              files={"file": ("rows.csv", b"a,b\n1,2\n", "text/csv")}, timeout=30)
    assert response.status_code == 200 and "rows.csv" in response.text
    body = aws.client("s3").get_object(Bucket=s3_bucket, Key="in/rows.csv")
    assert body["Body"].read() == b"a,b\n1,2\n" and body["ContentType"] == "text/csv"


def test_names_are_escaped(aws, s3_bucket, signed_in, console):
    key = 'x/<script>alert("k")</script>.csv'
    aws.client("s3").put_object(Bucket=s3_bucket, Key=key, Body=b"<b>h</b>,c\n<i>1</i>,2\n",
                                Metadata={"note": "<img src=x onerror=alert(1)>"})
    page = _object_page(aws, signed_in, console, s3_bucket, key).text
    assert "<script>alert" not in page and "&lt;script&gt;alert" in page
    assert "<img src=x" not in page and "&lt;img src=x onerror=alert(1)&gt;" in page
    assert "<b>h</b>" not in page and "&lt;b&gt;h&lt;/b&gt;" in page


@pytest.mark.slow
def test_bucket_listing_pages_by_100(aws, s3_bucket, signed_in, console):
    s3 = aws.client("s3")
    for i in range(230):
        s3.put_object(Bucket=s3_bucket, Key=f"logs/{i:04d}.json", Body=b"{}")
    seen: list[str] = []
    url, params = console.url("s3/bucket"), {"name": s3_bucket, "prefix": "logs/"}
    for _ in range(5):
        page = signed_in.get(url, params=params, timeout=30).text
        names = re.findall(r">(\d{4}\.json)</a>", page)
        seen += names
        following = re.search(r'href="([^"]+)" class="next-page"', page)
        if not following:
            break
        url, params = re.match(r"https?://[^/]+", console.base).group(0) + following.group(1).replace("&amp;", "&"), None
    assert len(seen) == 230 and len(set(seen)) == 230
    first = signed_in.get(console.url("s3/bucket"), params={"name": s3_bucket, "prefix": "logs/"}, timeout=30).text
    assert len(re.findall(r">(\d{4}\.json)</a>", first)) == 100


@pytest.mark.slow
def test_a_service_that_is_down_degrades_to_a_message(tmp_path: Path, monkeypatch):
    """Every page, with nothing answering on the endpoint: 200 and a message, no traceback."""
    import os

    import requests as http

    # an earlier test's sagemaker_session() may have left AWS_ENDPOINT_URL pointing at the live sandbox
    for key in [k for k in os.environ if k.startswith("AWS_ENDPOINT_URL")]:
        monkeypatch.delenv(key)

    dead = ConsoleCloud(free_port_url(), "t" + uuid.uuid4().hex, tmp_path)
    base, server = serve_console(dead)
    try:
        session = http.Session()
        assert session.get(f"{base}?token={dead.admin_token}", timeout=60).status_code == 200
        for path in ["s3/", "s3/bucket?name=b", "s3/object?bucket=b&key=k", "glue/", "glue/table?db=d&name=t",
                     "athena/", "redshift/", "kinesis/", "firehose/", "lambda/", "events/", "stepfunctions/",
                     "stepfunctions/execution?arn=arn:aws:states:us-east-1:123456789012:execution:m:e",
                     "sagemaker/", "sagemaker/detail?kind=endpoints&name=e", "cloudwatch/", "cloudwatch/logs"]:
            page = session.get(base + path, timeout=60)
            assert page.status_code == 200, path
            assert "not available" in page.text and "Traceback" not in page.text, path
    finally:
        server.shutdown()


@pytest.mark.parametrize("path", ["", "s3/", "glue/", "athena/", "redshift/", "kinesis/", "firehose/", "lambda/",
                                  "events/", "stepfunctions/", "sagemaker/?tab=tuning", "sagemaker/?tab=monitoring",
                                  "sagemaker/?tab=pipelines", "cloudwatch/", "cloudwatch/metrics", "cloudwatch/logs"])
def test_every_service_page_renders_from_the_live_sandbox(signed_in, console, path):
    page = signed_in.get(console.url(path), timeout=60)
    assert page.status_code == 200
    assert "flash flash-error" not in page.text, re.findall(r'flash-error" role="status">([^<]*)', page.text)
    assert '<nav class="sidenav"' in page.text


def test_sandbox_console_print_url(cloud, console):
    """`sandbox console --print-url` prints the sign-in link of the running sandbox."""
    if not console.served_by_sandbox:
        pytest.skip("the sandbox server does not serve /_console/ yet (it writes no admin token)")
    from click.testing import CliRunner

    from sandbox.console import console_command

    result = CliRunner().invoke(console_command, ["--print-url", "--state-dir", str(cloud.state_dir),
                                                  "--port", cloud.endpoint.rsplit(":", 1)[-1]])
    assert result.exit_code == 0, result.output
    assert result.output.strip() == console.sign_in_url()


@pytest.mark.slow
def test_sandbox_console_starts_a_stopped_sandbox_and_its_link_signs_in(tmp_path):
    """`sandbox console --print-url` on a stopped sandbox starts it; the printed link opens a session."""
    from click.testing import CliRunner

    from sandbox.console import console_command
    from tests.helpers.cloud import PrivateCloud

    private = PrivateCloud(tmp_path / "state")
    try:
        result = CliRunner().invoke(console_command, ["--print-url", "--state-dir", str(private.config.state_dir),
                                                      "--port", str(private.config.port)])
        assert result.exit_code == 0, result.output
        url = result.output.strip()
        assert url.startswith(f"{private.config.endpoint_url}/_console/?token=")
        token_file = private.config.state_dir / "admin-token"
        assert url.endswith(token_file.read_text().strip()) and oct(token_file.stat().st_mode & 0o777) == "0o600"
        opened = requests.get(url, timeout=60, allow_redirects=False)
        assert opened.status_code == 303 and "HttpOnly" in opened.headers["Set-Cookie"]
        again = CliRunner().invoke(console_command, ["--no-browser", "--state-dir", str(private.config.state_dir),
                                                     "--port", str(private.config.port)])
        assert again.exit_code == 0 and url in again.output
    finally:
        private.down()
