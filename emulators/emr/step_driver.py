"""The primary resource spark-submit runs for an EMR step: enable s3:// paths, then run the user's script.

    spark-submit ... step_driver.py <script.py> [script args...]
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
