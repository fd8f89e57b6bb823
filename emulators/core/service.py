"""What each service folder declares about itself."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class ServiceInfo:
    """One row of ``sandbox services``: an AWS service, its stand-in and how faithful it is.

    ``executes`` says what really runs; ``not_emulated`` lists what a learner
    should not expect to behave as on AWS. ``provider`` is the module (inside the
    service's folder) whose ``install(cloud)`` wires the engine into moto, or
    ``None`` when moto alone answers the service.
    """

    aws: str
    api_names: tuple[str, ...]
    stand_in: str
    executes: str
    not_emulated: str
    provider: str | None = None
    notes: tuple[str, ...] = field(default_factory=tuple)
