"""botocore's service models, loaded once per process.

Request validation, Step Functions' task parameters (also inside moto's interpreter, through
:mod:`emulators.core.moto_coupling`), SageMaker's request checks and Pipelines all read botocore's models. Each
model is a large JSON file, and a botocore session made for one look-up parses it again: SageMaker's was parsed
by up to five readers in one server. They now share the one session here. moto's own request parser keeps its
loader, whose models carry moto's extras.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any


@lru_cache(maxsize=1)
def session() -> Any:
    """The process's botocore session for reading models (never for making requests)."""
    import botocore.session

    return botocore.session.get_session()


@lru_cache(maxsize=256)
def service_model(name: str) -> Any:
    """botocore's ``ServiceModel`` of a service (its model name: ``sagemaker``, ``stepfunctions``)."""
    return session().get_service_model(name)
