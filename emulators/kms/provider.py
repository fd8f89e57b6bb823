"""KMS key states enforced on the cryptographic operations.

moto encrypts and decrypts with any key, whatever its state; AWS refuses a
disabled key (``DisabledException``) and a key pending deletion
(``KMSInvalidStateException``), which is how a learner sees that disabling a key
locks the data it protects.
"""

from __future__ import annotations

from typing import Any

from emulators.core import moto_coupling
from emulators.core.errors import Conflict

KmsBackend = moto_coupling.backend_class("kms")


def _usable(backend: Any, key_id: str) -> None:
    try:
        key = backend.keys[backend.any_id_to_key_id(key_id)]
    except (KeyError, TypeError, AttributeError):
        return  # moto raises its own NotFoundException
    if key.key_state == "Disabled":
        raise Conflict(f"{key.arn} is disabled.", code="DisabledException")
    if key.key_state == "PendingDeletion":
        raise Conflict(f"{key.arn} is pending deletion.", code="KMSInvalidStateException")


class SandboxKmsBackend(KmsBackend):  # type: ignore[misc, valid-type]
    """moto's KMS backend, refusing keys that are disabled or pending deletion."""

    def encrypt(self, key_id: str, *args: Any, **kwargs: Any) -> Any:
        _usable(self, key_id)
        return super().encrypt(key_id, *args, **kwargs)

    def decrypt(self, *args: Any, **kwargs: Any) -> Any:
        plaintext, arn = super().decrypt(*args, **kwargs)
        _usable(self, arn)
        return plaintext, arn

    def generate_data_key(self, key_id: str, *args: Any, **kwargs: Any) -> Any:
        _usable(self, key_id)
        return super().generate_data_key(key_id, *args, **kwargs)


def install(cloud: Any) -> None:
    moto_coupling.install_backend_class("kms", SandboxKmsBackend)
