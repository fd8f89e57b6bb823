"""The list of service folders, read by the server (to install engines) and by
``sandbox services`` (to print the stand-in table). Importing a service folder
is cheap: moto and the engines are imported by its provider module only."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING

from emulators.core.service import ServiceInfo

if TYPE_CHECKING:
    from emulators.core.server import EmbeddedCloud

# Order is the order of `sandbox services`. A folder listed here that does not
# exist yet is skipped, so service work can land one folder at a time.
SERVICE_PACKAGES = [
    "s3",
    "kms",
    "iam",
    "kinesis",
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


def service_infos() -> list[ServiceInfo]:
    infos: list[ServiceInfo] = []
    for package in SERVICE_PACKAGES:
        try:
            module = importlib.import_module(f"emulators.{package}")
        except ModuleNotFoundError as exc:
            if exc.name == f"emulators.{package}":
                continue
            raise
        declared = getattr(module, "SERVICES", None) or [module.SERVICE]
        infos.extend(declared)
    return infos


def install_providers(cloud: EmbeddedCloud) -> list[str]:
    """Import every provider module and call its ``install(cloud)``."""
    installed: list[str] = []
    for package in SERVICE_PACKAGES:
        try:
            module = importlib.import_module(f"emulators.{package}")
        except ModuleNotFoundError as exc:
            if exc.name == f"emulators.{package}":
                continue
            raise
        declared = getattr(module, "SERVICES", None) or [module.SERVICE]
        for info in declared:
            if info.provider and f"{package}.{info.provider}" not in installed:
                provider = importlib.import_module(f"emulators.{package}.{info.provider}")
                provider.install(cloud)
                installed.append(f"{package}.{info.provider}")
    return installed
