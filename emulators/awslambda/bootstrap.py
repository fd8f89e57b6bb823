"""The Python runtime of one invocation, run as ``python bootstrap.py <invocation.json>``.

This file runs in the function's own process (started by :mod:`emulators.awslambda.runner`)
and imports nothing from the sandbox: it reads the invocation (code folder, layer
folders, handler, event, context fields, deadline), imports the handler as AWS's
Python runtime does, calls it, and writes the result or AWS's error document to
the result file the invocation names. Everything the handler prints or logs goes
to stdout/stderr, which the runner ships to CloudWatch Logs.
"""

from __future__ import annotations

import importlib
import json
import logging
import os
import resource
import sys
import time
import traceback


class LambdaContext:
    """The ``context`` argument, with the members of AWS's Python runtime."""

    def __init__(self, fields: dict, deadline_ms: int) -> None:
        self.function_name = fields["function_name"]
        self.function_version = fields["function_version"]
        self.invoked_function_arn = fields["invoked_function_arn"]
        self.memory_limit_in_mb = fields["memory_limit_in_mb"]
        self.aws_request_id = fields["aws_request_id"]
        self.log_group_name = fields["log_group_name"]
        self.log_stream_name = fields["log_stream_name"]
        self.identity = None
        self.client_context = None
        self._deadline_ms = deadline_ms

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int(self._deadline_ms - time.time() * 1000))

    def __repr__(self) -> str:
        return (f"LambdaContext([aws_request_id={self.aws_request_id},log_group_name={self.log_group_name},"
                f"log_stream_name={self.log_stream_name},function_name={self.function_name},"
                f"memory_limit_in_mb={self.memory_limit_in_mb},function_version={self.function_version},"
                f"invoked_function_arn={self.invoked_function_arn}])")


class _RequestIdFilter(logging.Filter):
    def __init__(self, request_id: str) -> None:
        super().__init__()
        self.request_id = request_id

    def filter(self, record: logging.LogRecord) -> bool:
        record.aws_request_id = self.request_id
        return True


def _configure_logging(request_id: str) -> None:
    """The root logger as AWS's runtime leaves it: level WARNING, ``[LEVEL]\\ttime\\trequest id\\tmessage``."""
    handler = logging.StreamHandler(sys.stdout)
    formatter = logging.Formatter("[%(levelname)s]\t%(asctime)s.%(msecs)03dZ\t%(aws_request_id)s\t%(message)s",
                                  "%Y-%m-%dT%H:%M:%S")
    formatter.converter = time.gmtime
    handler.setFormatter(formatter)
    handler.addFilter(_RequestIdFilter(request_id))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.WARNING)


def _error(error_type: str, message: str, request_id: str, stack: list[str] | None = None) -> dict:
    return {"errorMessage": message, "errorType": error_type, "requestId": request_id, "stackTrace": stack or []}


# host folders -> the paths AWS's runtime shows for them (set by main(): the code folder is /var/task, a layer
# is unpacked under /opt, the interpreter's libraries live under /var/lang)
_SHOWN_AS: list[tuple[str, str]] = []


def _show_paths_as_on_aws(code_dir: str, layer_paths: list[str], runtime: str | None = None) -> None:
    import sysconfig

    version = runtime if (runtime or "").startswith("python3.") else \
        f"python{sys.version_info.major}.{sys.version_info.minor}"
    mapping = {os.path.abspath(code_dir): "/var/task"}
    for path in layer_paths:
        if os.path.basename(path.rstrip(os.sep)) == "python":
            mapping[os.path.dirname(os.path.abspath(path))] = "/opt"
    for name in ("purelib", "platlib"):
        mapping.setdefault(os.path.abspath(sysconfig.get_paths()[name]), f"/var/lang/lib/{version}/site-packages")
    mapping.setdefault(os.path.abspath(sysconfig.get_paths()["stdlib"]), f"/var/lang/lib/{version}")
    _SHOWN_AS[:] = sorted(mapping.items(), key=lambda item: len(item[0]), reverse=True)


def _shown_path(filename: str) -> str:
    path = os.path.abspath(filename)
    for host, shown in _SHOWN_AS:
        if path == host or path.startswith(host + os.sep):
            return shown + path[len(host):]
    return filename


def _user_frames(tb) -> list[str]:
    """The handler's frames of a traceback as AWS shows them: without this bootstrap's (the runtime's own) and
    importlib's frames, the handler's file under ``/var/task`` (layers under ``/opt``), line numbers kept."""
    here = os.path.abspath(__file__)
    frames = []
    for frame in traceback.extract_tb(tb):
        if frame.filename.startswith("<frozen ") or os.path.abspath(frame.filename) == here:
            continue
        frames.append(traceback.FrameSummary(_shown_path(frame.filename), frame.lineno, frame.name,
                                             line=frame.line))
    return traceback.format_list(frames)


def _log_error(document: dict) -> None:
    lines = [f"[ERROR] {document['errorType']}: {document['errorMessage']}"]
    if document["stackTrace"]:
        lines.append("Traceback (most recent call last):")
        lines.extend(line.rstrip("\n") for line in document["stackTrace"])
    print("\n".join(lines), file=sys.stdout, flush=True)


def _load_handler(handler: str, request_id: str):
    try:
        module_path, function_name = handler.rsplit(".", 1)
    except ValueError:
        raise _Fail(_error("Runtime.MalformedHandlerName",
                           f"Bad handler '{handler}': not enough values to unpack (expected 2, got 1)",
                           request_id)) from None
    module_name = module_path.replace("/", ".")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise _Fail(_error("Runtime.ImportModuleError", f"Unable to import module '{module_name}': {exc}",
                           request_id)) from None
    except SyntaxError as exc:  # AWS's runtime lists the line at fault, the file under /var/task
        where = [f'  File "{_shown_path(exc.filename or "")}" Line {exc.lineno}\n        {(exc.text or "").strip()}\n']
        raise _Fail(_error("Runtime.UserCodeSyntaxError", f"Syntax error in module '{module_name}': {exc}",
                           request_id, where)) from None
    except Exception as exc:
        raise _Fail(_error(type(exc).__name__, str(exc), request_id, _user_frames(exc.__traceback__))) from None
    function = getattr(module, function_name, None)
    if function is None:
        raise _Fail(_error("Runtime.HandlerNotFound", f"Handler '{function_name}' missing on module '{module_name}'",
                           request_id))
    return function


class _Fail(Exception):
    def __init__(self, document: dict) -> None:
        super().__init__(document["errorMessage"])
        self.document = document


def main(invocation_file: str) -> int:
    with open(invocation_file) as fh:
        invocation = json.load(fh)
    request_id = invocation["context"]["aws_request_id"]
    here = os.path.dirname(os.path.abspath(__file__))
    sys.path[:] = [p for p in sys.path if os.path.abspath(p or ".") != here]  # not the sandbox's own modules
    for folder in reversed([invocation["code_dir"], *invocation["layer_paths"]]):
        sys.path.insert(0, folder)
    os.chdir(invocation["code_dir"])
    _show_paths_as_on_aws(invocation["code_dir"], invocation["layer_paths"], invocation.get("runtime"))
    _configure_logging(request_id)
    outcome: dict
    try:
        function = _load_handler(invocation["handler"], request_id)
        with open(invocation["event_file"], "rb") as fh:
            event = json.loads(fh.read() or b"{}")
        context = LambdaContext(invocation["context"], invocation["deadline_ms"])
        try:
            result = function(event, context)
        except Exception as exc:
            raise _Fail(_error(type(exc).__name__, str(exc), request_id, _user_frames(exc.__traceback__))) from None
        try:
            outcome = {"payload": json.dumps(result)}
        except (TypeError, ValueError) as exc:
            raise _Fail(_error("Runtime.MarshalError", f"Unable to marshal response: {exc}", request_id)) from None
    except _Fail as failure:
        _log_error(failure.document)
        outcome = {"error": failure.document}
    sys.stdout.flush()
    sys.stderr.flush()
    outcome["max_rss_kb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    tmp = invocation["result_file"] + ".tmp"
    with open(tmp, "w") as fh:
        json.dump(outcome, fh)
    os.replace(tmp, invocation["result_file"])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
