"""AWS cron expressions for Glue schedules: now :mod:`emulators.core.cron` (one implementation).

Kept only so callers not yet moved keep working; import ``emulators.core.cron``.
"""

from emulators.core.cron import CronError, cron_matches, parse

__all__ = ["CronError", "cron_matches", "parse"]
