"""The list of service folders, read by the server (to install engines) and by
``sandbox services`` (to print the stand-in table). Importing a service folder
is cheap: moto and the engines are imported by its provider module only."""

from __future__ import annotations

import importlib
import logging
from collections.abc import Iterator
from typing import TYPE_CHECKING

from emulators.core.service import ServiceInfo

if TYPE_CHECKING:
    from emulators.core.server import EmbeddedCloud

log = logging.getLogger("emulators.registry")

# Order is the order of `sandbox services`. A folder listed here that does not
# exist yet is skipped, so service work can land one folder at a time.
SERVICE_PACKAGES = [
    "s3",
    "kms",
    "iam",
    "kinesis",
    "awslambda",
    "firehose",
    "kinesisanalytics",
    "glue",
    "athena",
    "redshift",
    "emr",
    "batch",
    "stepfunctions",
    "sagemaker",
    "cloudwatch",
    "other",
]


def _declarations() -> Iterator[tuple[str, ServiceInfo]]:
    for package in SERVICE_PACKAGES:
        try:
            module = importlib.import_module(f"emulators.{package}")
        except ModuleNotFoundError as exc:
            if exc.name == f"emulators.{package}":
                continue
            log.error("service folder emulators/%s cannot be imported: %s", package, exc)
            continue
        except Exception as exc:
            log.error("service folder emulators/%s cannot be imported: %s", package, exc)
            continue
        declared = getattr(module, "SERVICES", None) or ([module.SERVICE] if hasattr(module, "SERVICE") else [])
        if not declared:
            log.error("service folder emulators/%s declares no SERVICE", package)
        for info in declared:
            yield package, info


def service_infos() -> list[ServiceInfo]:
    return [info for _, info in _declarations()]


def declared_providers() -> list[str]:
    """Provider modules (``package.module``) in install order, each once."""
    names: list[str] = []
    for package, info in _declarations():
        name = f"{package}.{info.provider}"
        if info.provider and name not in names:
            names.append(name)
    return names


def install_providers(cloud: EmbeddedCloud) -> tuple[list[str], dict[str, str]]:
    """Import every provider module and call its ``install(cloud)``.

    A provider that fails to install is reported (``failed``: provider -> error)
    and the others still install, so one broken engine cannot take the whole
    cloud down; that service then answers with moto's plain behaviour.
    """
    installed: list[str] = []
    failed: dict[str, str] = {}
    for name in declared_providers():
        try:
            importlib.import_module(f"emulators.{name}").install(cloud)
        except Exception as exc:
            log.exception("provider %s failed to install", name)
            failed[name] = f"{type(exc).__name__}: {exc}"
            continue
        installed.append(name)
    return installed, failed
