"""botocore's service models, loaded once per process.

Request validation, Step Functions' task parameters, SageMaker's request checks and Pipelines, and moto's own
parsing (through :mod:`emulators.core.moto_coupling`) all read botocore's models. Each model is a large JSON
file, and a botocore session or loader made for one look-up parses it again: SageMaker's was parsed up to five
times in one server, and the test suite's servers spent about 13 s of CPU loading models. Everything in the
server now reads them through the one loader here.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def session() -> Any:
    """The process's botocore session for reading models (never for making requests)."""
    import botocore.session

    return botocore.session.get_session()


def loader() -> Any:
    """The session's data loader: it keeps every file it parsed."""
    return session().get_component("data_loader")


@lru_cache(maxsize=256)
def service_model(name: str) -> Any:
    """botocore's ``ServiceModel`` of a service (its model name: ``sagemaker``, ``stepfunctions``)."""
    return session().get_service_model(name)
