"""Helpers shared by the EventBridge tests."""

from __future__ import annotations

from tests.helpers.waiting import wait_for

ACCOUNT = "123456789012"

__all__ = ["ACCOUNT", "wait_for"]
