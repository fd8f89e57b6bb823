"""The SageMaker container contract (``/opt/ml``) laid out in a job folder, without Docker.

A job folder ``<data_dir>/jobs/<job-name>/`` *is* the container's ``/opt/ml``::

    input/config/hyperparameters.json   the job's hyperparameters (strings, as on AWS)
    input/config/inputdataconfig.json   channel -> {ContentType, TrainingInputMode, S3DistributionType, ...}
    input/config/resourceconfig.json    {"current_host": "algo-1", "hosts": ["algo-1"], ...}
    input/data/<channel>/               the channel's S3 objects (File mode)
    model/                              packed to model.tar.gz after the job
    output/data/                        packed to output.tar.gz after the job
    output/failure                      a script writes why it failed here
    code/                               the unpacked sourcedir.tar.gz (script mode)
    processing/...                      processing jobs' /opt/ml/processing/... paths

User scripts run as local processes. Paths are mapped in three ways, so tutorial
code written for the container runs unchanged: the training toolkit's ``SM_*``
environment variables name the job folder's paths; arguments that start with
``/opt/ml/`` are rewritten to the job folder; and the literal text ``/opt/ml/`` in
the entry-point script (the copy in the job folder) is rewritten the same way.

Processes run on the job runtime (:mod:`emulators.core.jobs`, registry
``sagemaker``): a stop or ``MaxRuntimeInSeconds`` ends the whole process group.
This module never touches AWS: S3 is reached through the ``S3Access`` object the
provider hands in.
"""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from emulators.core import jobs, s3uri
from emulators.core.paths import PathOutsideState, inside

OPT_ML = "/opt/ml"
CURRENT_HOST = "algo-1"


class ContainerError(Exception):
    """Something in the job's inputs is wrong; the message becomes the FailureReason."""


# -- S3 URIs (core/s3uri; a bad one is the job's ContainerError) ------------------------
def parse_s3_uri(uri: str) -> tuple[str, str]:
    """``s3://bucket/key`` -> ``(bucket, key)``; anything else is a :class:`ContainerError`."""
    try:
        return tuple(s3uri.parse(uri, schemes=("s3://",)))  # type: ignore[return-value]
    except s3uri.NotAnS3Uri as exc:
        raise ContainerError(str(exc)) from None


def join_s3(uri: str, *parts: str) -> str:
    return s3uri.join(uri, *parts)


def download_prefix(s3: Any, uri: str, dest: Path, shard: tuple[int, int] | None = None) -> list[Path]:
    """Copy the objects under an S3 prefix (or one object) into ``dest``.

    Keys keep their path below the prefix's last ``/``, as SageMaker's File mode
    does. ``shard=(index, hosts)`` keeps every ``hosts``-th object (ShardedByS3Key).
    """
    bucket, prefix = parse_s3_uri(uri)
    objects = [o for o in s3.list(bucket, prefix) if not o.key.endswith("/")]
    if not objects:
        raise ContainerError(f"No S3 objects found under S3 URL \"{uri}\" given in input data source. "
                             "Please ensure that the bucket exists in the selected region, that objects "
                             "exist under that S3 prefix, and that the role has access to them.")
    objects.sort(key=lambda o: o.key)
    if shard is not None:
        index, hosts = shard
        objects = objects[index::hosts]
    written = []
    for obj in objects:
        relative = relative_key(obj.key, prefix)
        target = safe_join(dest, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get(bucket, obj.key))
        written.append(target)
    return written


def relative_key(key: str, prefix: str) -> str:
    """Where an object under an S3 prefix lands: below the prefix as a folder, or its name for one object."""
    folder = prefix.rstrip("/")
    if key == prefix or key == folder:
        return key.rsplit("/", 1)[-1]
    if folder and key.startswith(folder + "/"):
        return key[len(folder) + 1:]
    base = prefix.rsplit("/", 1)[0] + "/" if "/" in prefix else ""
    return key[len(base):] if key.startswith(base) else key.rsplit("/", 1)[-1]


def upload_folder(s3: Any, folder: Path, uri: str) -> int:
    """Upload every file of ``folder`` below the S3 prefix ``uri``; returns the count."""
    bucket, prefix = parse_s3_uri(uri)
    count = 0
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        key = "/".join(x for x in [prefix.rstrip("/"), path.relative_to(folder).as_posix()] if x)
        s3.put(bucket, key, path.read_bytes())
        count += 1
    return count


# -- archives ---------------------------------------------------------------------
def safe_join(root: Path, relative: str) -> Path:
    """``root/relative``, refusing absolute paths and ``..`` that would leave ``root`` (``core.paths.inside``)."""
    try:
        if "\\" in relative or relative.startswith("/"):
            raise PathOutsideState(relative)
        inside(root, relative)
    except PathOutsideState:
        raise ContainerError(f"refusing the path {relative!r}: it would leave the job folder") from None
    return root / relative


def safe_extract(archive: bytes, dest: Path) -> list[str]:
    """Extract a (gzipped) tar archive into ``dest``; members escaping ``dest`` are refused."""
    dest.mkdir(parents=True, exist_ok=True)
    names = []
    try:
        with tarfile.open(fileobj=io.BytesIO(archive), mode="r:*") as tar:
            members = tar.getmembers()
            for member in members:
                name = member.name[2:] if member.name.startswith("./") else member.name
                if member.issym() or member.islnk():
                    raise ContainerError(f"refusing the link {member.name!r} in the archive")
                if name in ("", "."):
                    continue
                safe_join(dest, name)
            tar.extractall(dest, members=members, filter="data")
            names = [m.name for m in members]
    except tarfile.TarError as exc:
        raise ContainerError(f"the archive is not a valid tar.gz file: {exc}") from None
    return names


def pack_folder(folder: Path) -> bytes:
    """A tar.gz of the folder's content (members relative to the folder, as SageMaker packs)."""
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as tar:
        for path in sorted(folder.rglob("*")):
            tar.add(path, arcname=path.relative_to(folder).as_posix(), recursive=False)
    return buffer.getvalue()


# -- the job folder -------------------------------------------------------------------
@dataclass(frozen=True)
class JobFolder:
    root: Path

    @property
    def config(self) -> Path:
        return self.root / "input" / "config"

    @property
    def data(self) -> Path:
        return self.root / "input" / "data"

    @property
    def model(self) -> Path:
        return self.root / "model"

    @property
    def output(self) -> Path:
        return self.root / "output"

    @property
    def output_data(self) -> Path:
        return self.root / "output" / "data"

    @property
    def failure(self) -> Path:
        return self.root / "output" / "failure"

    @property
    def code(self) -> Path:
        return self.root / "code"

    @property
    def log(self) -> Path:
        return self.root / "output.log"

    def channel(self, name: str) -> Path:
        return self.data / name

    def map_path(self, path: str) -> str:
        """A container path (``/opt/ml/...``) as a path in this job folder."""
        if path == OPT_ML or path.startswith(OPT_ML + "/"):
            return str(self.root) + path[len(OPT_ML):]
        return path


def new_job_folder(base: Path, name: str) -> JobFolder:
    folder = JobFolder(base / name)
    shutil.rmtree(folder.root, ignore_errors=True)
    for path in (folder.config, folder.data, folder.model, folder.output_data, folder.code):
        path.mkdir(parents=True, exist_ok=True)
    return folder


def decode_hyperparameters(hyperparameters: dict[str, str]) -> dict[str, Any]:
    """Values as the training toolkit sees them: JSON-decoded where they are JSON (the SDK quotes strings)."""
    decoded = {}
    for name, value in (hyperparameters or {}).items():
        try:
            decoded[name] = json.loads(value)
        except (TypeError, ValueError):
            decoded[name] = value
    return decoded


def write_training_config(folder: JobFolder, hyperparameters: dict[str, str],
                          input_data_config: list[dict[str, Any]], resource_config: dict[str, Any]) -> None:
    (folder.config / "hyperparameters.json").write_text(json.dumps(hyperparameters or {}))
    channels = {}
    for channel in input_data_config or []:
        source = (channel.get("DataSource") or {}).get("S3DataSource") or {}
        channels[channel["ChannelName"]] = {
            "ContentType": channel.get("ContentType"),
            "TrainingInputMode": channel.get("InputMode") or "File",
            "S3DistributionType": source.get("S3DataDistributionType") or "FullyReplicated",
            "RecordWrapperType": channel.get("RecordWrapperType") or "None",
        }
    (folder.config / "inputdataconfig.json").write_text(json.dumps(channels))
    (folder.config / "resourceconfig.json").write_text(json.dumps({
        "current_host": CURRENT_HOST, "hosts": [CURRENT_HOST],
        "current_instance_type": (resource_config or {}).get("InstanceType", "local"),
        "current_group_name": "homogeneousCluster",
        "instance_groups": [{"instance_group_name": "homogeneousCluster",
                             "instance_type": (resource_config or {}).get("InstanceType", "local"),
                             "hosts": [CURRENT_HOST]}],
        "network_interface_name": "lo",
    }))


def download_channels(s3: Any, folder: JobFolder, input_data_config: list[dict[str, Any]]) -> None:
    for channel in input_data_config or []:
        name = channel["ChannelName"]
        if (channel.get("InputMode") or "File") == "FastFile" or channel.get("InputMode") == "Pipe":
            pass  # Pipe/FastFile are given the same files: a local folder is as fast as either
        source = (channel.get("DataSource") or {}).get("S3DataSource")
        if not source:
            raise ContainerError(f"channel {name!r}: only S3DataSource channels are emulated "
                                 "(FileSystemDataSource needs EFS/FSx)")
        if source.get("S3DataType", "S3Prefix") not in ("S3Prefix", "ManifestFile"):
            raise ContainerError(f"channel {name!r}: S3DataType {source.get('S3DataType')!r} is not emulated")
        shard = (0, 1) if source.get("S3DataDistributionType") == "ShardedByS3Key" else None
        if source.get("S3DataType") == "ManifestFile":
            download_manifest(s3, source["S3Uri"], folder.channel(name))
        else:
            download_prefix(s3, source["S3Uri"], folder.channel(name), shard)


def download_manifest(s3: Any, uri: str, dest: Path) -> None:
    bucket, key = parse_s3_uri(uri)
    manifest = json.loads(s3.get(bucket, key))
    prefix = manifest[0]["prefix"]
    for relative in manifest[1:]:
        b, k = parse_s3_uri(join_s3(prefix, relative))
        target = safe_join(dest, relative)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(s3.get(b, k))


def base_environment(endpoint_url: str, region: str) -> dict[str, str]:
    """The process environment every job gets: the job runtime's one child environment (core/jobs)."""
    return jobs.child_environment(endpoint_url, region)


def training_environment(folder: JobFolder, job_name: str, hyperparameters: dict[str, str],
                         input_data_config: list[dict[str, Any]], resource_config: dict[str, Any],
                         program: str | None, endpoint_url: str, region: str) -> dict[str, str]:
    """The environment of the SageMaker training toolkit (``SM_*``) for one job folder."""
    env = base_environment(endpoint_url, region)
    hps = {k: v for k, v in decode_hyperparameters(hyperparameters).items() if not k.startswith(("sagemaker_", "_"))}
    channels = [c["ChannelName"] for c in input_data_config or []]
    cpus = os.cpu_count() or 1
    env.update({
        "SM_MODEL_DIR": str(folder.model),
        "SM_OUTPUT_DIR": str(folder.output),
        "SM_OUTPUT_DATA_DIR": str(folder.output_data),
        "SM_OUTPUT_INTERMEDIATE_DIR": str(folder.output / "intermediate"),
        "SM_INPUT_DIR": str(folder.root / "input"),
        "SM_INPUT_CONFIG_DIR": str(folder.config),
        "SM_INPUT_DATA_CONFIG": (folder.config / "inputdataconfig.json").read_text(),
        "SM_CHANNELS": json.dumps(sorted(channels)),
        "SM_HPS": json.dumps(hps),
        "SM_HOSTS": json.dumps([CURRENT_HOST]),
        "SM_CURRENT_HOST": CURRENT_HOST,
        "SM_NUM_CPUS": str(cpus),
        "SM_NUM_GPUS": "0",
        "SM_NETWORK_INTERFACE_NAME": "lo",
        "SM_MODULE_DIR": str(folder.code),
        "SM_USER_ENTRY_POINT": program or "",
        "SM_FRAMEWORK_MODULE": "",
        "SM_LOG_LEVEL": "20",
        "SM_RESOURCE_CONFIG": (folder.config / "resourceconfig.json").read_text(),
        "SM_USER_ARGS": json.dumps(hyperparameter_arguments(hyperparameters)),
        "TRAINING_JOB_NAME": job_name,
        "SAGEMAKER_JOB_NAME": job_name,
        "SANDBOX_OPT_ML": str(folder.root),
    })
    for channel in channels:
        env[f"SM_CHANNEL_{channel.upper()}"] = str(folder.channel(channel))
    for name, value in hps.items():
        env[f"SM_HP_{name.upper()}"] = value if isinstance(value, str) else json.dumps(value)
    return env


def hyperparameter_arguments(hyperparameters: dict[str, str]) -> list[str]:
    """``--name value`` for every hyperparameter the user set (the SDK's ``sagemaker_*`` ones are not passed)."""
    args = []
    for name, value in decode_hyperparameters(hyperparameters).items():
        if name.startswith(("sagemaker_", "_")):  # the SDK's and the tuner's own (_tuning_objective_metric)
            continue
        args += [f"--{name}", value if isinstance(value, str) else json.dumps(value)]
    return args


def rewrite_script(path: Path, folder: JobFolder) -> None:
    """Point literal ``/opt/ml/`` paths in a script at the job folder."""
    try:
        text = path.read_text()
    except (OSError, UnicodeDecodeError):
        return
    if OPT_ML in text:
        path.write_text(re.sub(r"/opt/ml(?=[/'\"])", str(folder.root).replace("\\", "/"), text))


# -- running a process (the job runtime, core/jobs) ----------------------------------------
ProcessOutcome = jobs.ProcessOutcome
REGISTRY = "sagemaker"  # the job runtime's registry of SageMaker's processes
STOP_GRACE = 2.0  # SIGTERM, then SIGKILL after this many seconds


def run_process(command: list[str], cwd: Path, env: dict[str, str], log_path: Path,
                on_line: Callable[[str], None] | None = None, should_stop: Callable[[], bool] | None = None,
                max_seconds: float | None = None, on_start: Callable[[subprocess.Popen], None] | None = None,
                *, key: Any = None) -> ProcessOutcome:
    """Run ``command`` on the job runtime; its output is appended to ``log_path`` and streamed to ``on_line``.

    A stop (``should_stop``, ``jobs.registry("sagemaker").stop(key)``, the cloud shutting down) or
    ``max_seconds`` ends the whole process group: SIGTERM, then SIGKILL after 2 s.
    """
    spec = jobs.ProcessSpec(list(command), cwd, env, log_path, timeout=max_seconds, grace=STOP_GRACE,
                            on_line=on_line, should_stop=should_stop, on_start=on_start, append=True)
    return jobs.run(spec, jobs.registry(REGISTRY), key)


def kill_process_group(process: subprocess.Popen) -> None:
    """End a job's process and everything it started: SIGTERM to the group, SIGKILL after 2 s."""
    jobs.terminate_group(process, STOP_GRACE)


def python_command(entry: Iterable[str]) -> list[str]:
    """A container command with ``python``/``python3`` replaced by this environment's Python."""
    command = list(entry)
    if command and Path(command[0]).name in ("python", "python3", "python3.11", "python3.10", "python3.9"):
        command[0] = sys.executable
    return command


def failure_reason(folder: JobFolder, exit_code: int | None, log_tail: list[str]) -> str:
    """Why a job failed, as SageMaker words it: output/failure first, else the exit code and the log's end."""
    if folder.failure.exists():
        text = folder.failure.read_text(errors="replace").strip()
        if text:
            return text[:1024]
    head = f"AlgorithmError: ExecuteUserScriptError:\nExitCode {exit_code}\nErrorMessage \""
    tail = "\n".join(line for line in log_tail[-12:] if line.strip())
    budget = 1024 - len(head) - 1
    if len(tail) > budget:  # keep the end: the exception is the last line
        tail = tail[-budget:]
    return f"{head}{tail}\""
