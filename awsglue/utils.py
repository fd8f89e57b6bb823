"""``getResolvedOptions``: the job's ``--name value`` arguments as a dict."""

from __future__ import annotations

import sys


class GlueArgumentError(SystemExit):
    pass


def getResolvedOptions(args: list[str], options: list[str]) -> dict[str, str]:  # noqa: N802 (AWS's name)
    """Values of ``--option value`` (or ``--option=value``) for each name in ``options``.

    As on AWS, a missing option is an error that ends the job; ``JOB_NAME`` and
    other arguments the sandbox passes are available when asked for.
    """
    found: dict[str, str] = {}
    i = 0
    items = list(args[1:] if args and not str(args[0]).startswith("--") else args)
    while i < len(items):
        item = str(items[i])
        if item.startswith("--"):
            name = item[2:]
            if "=" in name:
                name, value = name.split("=", 1)
                found[name] = value
            elif i + 1 < len(items) and not str(items[i + 1]).startswith("--"):
                found[name] = str(items[i + 1])
                i += 1
            else:
                found[name] = ""
        i += 1
    missing = [o for o in options if o not in found]
    if missing:
        print(f"error: the following arguments are required: {', '.join('--' + m for m in missing)}", file=sys.stderr)
        raise GlueArgumentError(2)
    return {o: found[o] for o in options}
