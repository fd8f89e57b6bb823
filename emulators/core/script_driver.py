"""The entry point of a user's Spark script run by the sandbox (EMR steps, Glue job runs).

    python -m emulators.core.script_driver <script.py> [args...]      (or as spark-submit's primary resource)

It lets Spark read and write ``s3://`` paths through staging (see :mod:`emulators.core.spark_s3`),
then runs the script as ``__main__`` with its arguments in ``sys.argv``.
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
