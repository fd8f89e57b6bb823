"""The process a Glue job run executes: ``python job_driver.py <script.py> --JOB_NAME n --k v ...``.

It points the job at the sandbox, lets Spark read and write ``s3://`` paths
through staging, and runs the user's script as ``__main__`` with the job's
arguments in ``sys.argv``, as Glue does.
"""

from __future__ import annotations

import runpy
import sys


def main() -> None:
    from emulators.core import spark_s3

    spark_s3.install()
    script, args = sys.argv[1], sys.argv[2:]
    sys.argv = [script, *args]
    runpy.run_path(script, run_name="__main__")


if __name__ == "__main__":
    main()
