"""The console's pages with 10,000 objects in a bucket, against the boto3 calls behind them.

Each page is fetched through the sandbox server (signed in with the admin token, as a browser
would be) several times; the first fetch warms the console and is not counted. The baseline of
the S3 pages is the boto3 call the page makes (``ListObjectsV2`` with ``MaxKeys=100``,
``HeadObject``), so the ratio is the console's own cost; the note gives the time the console app
itself took inside the server (its ``Server-Timing`` header). Budget: 300 ms per page.

    .venv/bin/python benchmarks/bench_console.py        (BENCH_CONSOLE_OBJECTS=10000, BENCH_RUNS=7)
"""

from __future__ import annotations

import os
import re
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import Report, client, median, percentile, sandbox_cloud  # noqa: E402

OBJECTS = int(os.environ.get("BENCH_CONSOLE_OBJECTS", 10_000))
RUNS = int(os.environ.get("BENCH_RUNS", 7))
BUDGET_MS = 300.0
BUCKET = "bench-console"


def fill_bucket(s3) -> None:
    body = b'{"event": "click", "value": 1}\n' * 4

    def put(i: int) -> None:
        s3.put_object(Bucket=BUCKET, Key=f"events/{i:05d}.json", Body=body)

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(put, range(OBJECTS)))
    s3.put_object(Bucket=BUCKET, Key="reports/daily.csv", Body=b"day,clicks\n" + b"".join(
        f"2026-01-{d:02d},{d * 10}\n".encode() for d in range(1, 29)), Tagging="team=web")


def timed(fn) -> tuple[float, object]:
    started = time.perf_counter()
    value = fn()
    return (time.perf_counter() - started) * 1000, value


def main() -> None:
    import requests

    report = Report("console")
    with sandbox_cloud() as (config, aws):
        s3 = client(config.endpoint_url, "s3")
        s3.create_bucket(Bucket=BUCKET)
        started = time.perf_counter()
        fill_bucket(s3)
        print(f"  put {OBJECTS} objects in {time.perf_counter() - started:.1f} s", flush=True)
        token = (config.state_dir / "admin-token").read_text().strip()
        # one snapshot of the filled bucket now, so the background snapshot does not stall the first pages
        requests.post(f"{config.endpoint_url}/_sandbox/snapshot", headers={"X-Sandbox-Token": token}, timeout=300)
        time.sleep(2)
        base = f"{config.endpoint_url}/_console/"
        browser = requests.Session()
        assert browser.get(f"{base}?token={token}", timeout=60).status_code == 200
        first = browser.get(base + "s3/bucket", params={"name": BUCKET, "prefix": "events/"}, timeout=60).text
        following = re.search(r'href="/_console/([^"]+)" class="next-page"', first)
        second_page = following.group(1).replace("&amp;", "&") if following else None

        next_token = s3.list_objects_v2(Bucket=BUCKET, Prefix="events/", Delimiter="/",
                                        MaxKeys=100)["NextContinuationToken"]
        pages = {
            "Console Home (overview)": ("", None),
            "S3 buckets": ("s3/", None),
            f"S3 bucket root ({OBJECTS:,} objects)": (f"s3/bucket?name={BUCKET}", lambda: s3.list_objects_v2(
                Bucket=BUCKET, Delimiter="/", MaxKeys=100)),
            "S3 prefix, first 100 objects": (f"s3/bucket?name={BUCKET}&prefix=events/", lambda: s3.list_objects_v2(
                Bucket=BUCKET, Prefix="events/", Delimiter="/", MaxKeys=100)),
            "S3 prefix, next page": (second_page, lambda: s3.list_objects_v2(
                Bucket=BUCKET, Prefix="events/", Delimiter="/", MaxKeys=100, ContinuationToken=next_token)),
            "S3 object with tags and CSV preview": (f"s3/object?bucket={BUCKET}&key=reports/daily.csv",
                                                    lambda: s3.head_object(Bucket=BUCKET, Key="reports/daily.csv")),
            "Glue": ("glue/", None),
            "Athena query editor": ("athena/", None),
            "Step Functions": ("stepfunctions/", None),
            "SageMaker training jobs": ("sagemaker/", None),
            "CloudWatch alarms": ("cloudwatch/", None),
            "Lambda functions": ("lambda/", None),
        }
        slowest = 0.0
        for name, (path, baseline_call) in pages.items():
            if path is None:
                continue
            url = base + path
            response = browser.get(url, timeout=60)  # warm-up
            assert response.status_code == 200 and "flash flash-error" not in response.text, (name, response.text[:500])
            times, inside = [], []
            for _ in range(RUNS):
                elapsed, answer = timed(lambda: browser.get(url, timeout=60))
                times.append(elapsed)
                inside.append(float(answer.headers["Server-Timing"].split("dur=")[1]))
            baseline = median([timed(baseline_call)[0] for _ in range(RUNS)]) if baseline_call else None
            page_ms = median(times)
            slowest = max(slowest, percentile(times, 95))
            verdict = "within" if percentile(times, 95) < BUDGET_MS else "OVER"
            report.add(f"{name} (ms, median)", page_ms, baseline, "ms",
                       note=f"p95 {percentile(times, 95):.0f} ms, {verdict} the {BUDGET_MS:.0f} ms budget; "
                            f"console app {median(inside):.0f} ms of it")
        report.add("slowest page p95 (ms)", slowest, BUDGET_MS, "ms", note="baseline column = the budget")
    report.save()


if __name__ == "__main__":
    main()
