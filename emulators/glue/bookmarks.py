"""Glue job bookmarks: one JSON file per job (object key -> ETag per ``transformation_ctx``).

The job process reads and writes the file (our ``awsglue`` library's ``Job.commit()``,
told where it is by ``SANDBOX_GLUE_BOOKMARK_FILE``); GetJobBookmark shows it and
ResetJobBookmark removes it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from emulators.core.moto_coupling import Request
from emulators.core.paths import state_path
from emulators.core.server import current_cloud
from emulators.glue.backend import glue_backend as _glue


def bookmark_file(cloud: Any, account: str, region: str, job_name: str) -> Path:
    folder = cloud.data_dir("glue") / "bookmarks" / f"{account}-{region}"
    folder.mkdir(parents=True, exist_ok=True)
    return state_path(folder, f"{job_name}.json")  # any job name AWS allows, never a path outside


def bookmark_entry(backend: Any, job_name: str, cloud: Any) -> dict[str, Any]:
    path = bookmark_file(cloud, backend.account_id, backend.region_name, job_name)
    runs = [r for r in backend.get_job(job_name).job_runs if r.status == "SUCCEEDED"]
    return {"JobName": job_name, "Version": len(runs), "Run": len(runs), "Attempt": 0,
            "RunId": runs[-1].job_run_id if runs else "",
            "PreviousRunId": runs[-2].job_run_id if len(runs) > 1 else "",
            "JobBookmark": path.read_text() if path.exists() else "{}"}



def get_job_bookmark(request: Request) -> dict[str, Any]:
    return {"JobBookmarkEntry": bookmark_entry(_glue(request), request.get("JobName"), current_cloud())}


def reset_job_bookmark(request: Request) -> dict[str, Any]:
    backend = _glue(request)
    name = request.get("JobName")
    cloud = current_cloud()
    entry = bookmark_entry(backend, name, cloud)
    bookmark_file(cloud, backend.account_id, backend.region_name, name).unlink(missing_ok=True)
    return {"JobBookmarkEntry": entry}


OPERATIONS = {
    "get_job_bookmark": get_job_bookmark,
    "reset_job_bookmark": reset_job_bookmark,
}
