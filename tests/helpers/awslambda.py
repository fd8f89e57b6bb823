"""Lambda material shared by the Lambda, wiring and persistence tests: zip a handler, create a function."""

from __future__ import annotations

import functools
import io
import zipfile

from tests.helpers.waiting import wait_for as _wait_for

ROLE = "arn:aws:iam::123456789012:role/sandbox-lambda-tests"


def package(files: dict[str, str]) -> bytes:
    """A deployment package (zip) holding ``files`` (name -> source)."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as archive:
        for name, text in files.items():
            archive.writestr(name, text)
    return buf.getvalue()


def create(lam, name, code: str | dict[str, str], handler="app.handler", **kwargs):
    """CreateFunction with ``code`` as ``app.py`` (or several files), Python 3.12 unless ``Runtime`` says."""
    files = {"app.py": code} if isinstance(code, str) else code
    return lam.create_function(FunctionName=name, Runtime=kwargs.pop("Runtime", "python3.12"), Role=ROLE,
                               Handler=handler, Code={"ZipFile": package(files)}, **kwargs)


wait_for = functools.partial(_wait_for, timeout=15)
