"""Names from requests become file names only through here.

AWS allows names that are not safe as paths: a Glue job may be called
``../../home/learner/victim`` (its pattern admits any printable character), a
database ``a/b``. :func:`safe_name` turns any name into one file name that is
never ``.`` or ``..`` and holds no separator, injectively (two names never share
a file), and :func:`state_path` joins such names under a folder of the state
folder and refuses anything that would still land outside it.
"""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path
from urllib.parse import quote

MAX_NAME_BYTES = 180


class PathOutsideState(ValueError):
    """A path derived from a request would leave the state folder."""


def safe_name(name: str) -> str:
    """One file name for ``name``: percent-encoded outside ``[A-Za-z0-9_.-]``, dots-only names encoded."""
    encoded = quote(str(name), safe="-_.")
    if encoded.strip(".") == "":
        encoded = encoded.replace(".", "%2E") or "%00"
    if len(encoded.encode()) > MAX_NAME_BYTES:
        digest = hashlib.sha256(str(name).encode()).hexdigest()[:32]
        encoded = f"{encoded[:100]}~{digest}"
    return encoded


def state_path(root: Path, *names: str) -> Path:
    """``root / safe_name(n1) / safe_name(n2) ...``, guaranteed to stay inside ``root``."""
    path = Path(root).joinpath(*(safe_name(n) for n in names))
    if not path.resolve().is_relative_to(Path(root).resolve()):
        raise PathOutsideState(f"{path} is outside {root}")
    return path


def inside(root: Path, candidate: str | Path) -> Path:
    """``candidate`` (a path given in a request) if it lies inside ``root``; raise otherwise."""
    path = Path(root, candidate).resolve()
    if not path.is_relative_to(Path(root).resolve()):
        raise PathOutsideState(f"{candidate} is outside {root}")
    return path


def cache_folder() -> Path:
    """Where things made once per installation are kept (the Spark class archive, the MLflow store template):
    ``SANDBOX_CACHE_DIR``, else the venv's ``share/aws-sandbox``. Never a state folder: nothing a request names."""
    if os.environ.get("SANDBOX_CACHE_DIR"):
        return Path(os.environ["SANDBOX_CACHE_DIR"])
    return Path(sys.prefix) / "share" / "aws-sandbox"
