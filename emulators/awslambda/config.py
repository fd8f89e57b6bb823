"""CreateFunction / UpdateFunctionConfiguration checks AWS makes and moto did not (the Lambda developer guide's
"Configuring Lambda function timeout", "memory", "Working with Lambda environment variables" (defined runtime
environment variables, whose keys are reserved) and "Lambda runtimes" (deprecated runtimes) pages).

Pure: the request's values in, an error or None out.
"""

from __future__ import annotations

import re
from typing import Any

from emulators.core.errors import InvalidInput

MAX_TIMEOUT = 900
MAX_VARIABLES_BYTES = 4 * 1024  # "the total size of all environment variables doesn't exceed 4 KB"
VARIABLE_NAME = re.compile(r"[a-zA-Z]([a-zA-Z0-9_])+")
MEMORY = (128, 10240)
# "Defined runtime environment variables": Lambda refuses these keys in a function's configuration
RESERVED_VARIABLES = ("_HANDLER", "_X_AMZN_TRACE_ID", "AWS_DEFAULT_REGION", "AWS_REGION", "AWS_EXECUTION_ENV",
                      "AWS_LAMBDA_FUNCTION_NAME", "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_LAMBDA_FUNCTION_VERSION",
                      "AWS_LAMBDA_INITIALIZATION_TYPE", "AWS_LAMBDA_LOG_GROUP_NAME", "AWS_LAMBDA_LOG_STREAM_NAME",
                      "AWS_ACCESS_KEY", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN",
                      "AWS_LAMBDA_RUNTIME_API", "LAMBDA_TASK_ROOT", "LAMBDA_RUNTIME_DIR")
# runtimes whose deprecation has reached "block function create and update"
BLOCKED_RUNTIMES = ("python2.7", "python3.6", "python3.7", "nodejs", "nodejs4.3", "nodejs4.3-edge", "nodejs6.10",
                    "nodejs8.10", "nodejs10.x", "nodejs12.x", "nodejs14.x", "dotnetcore1.0", "dotnetcore2.0",
                    "dotnetcore2.1", "dotnetcore3.1", "ruby2.5", "ruby2.7", "go1.x", "java8")


def _range_error(field: str, value: Any, low: int, high: int) -> InvalidInput | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    if number > high:
        bound = f"less than or equal to {high}"
    elif number < low:
        bound = f"greater than or equal to {low}"
    else:
        return None
    return InvalidInput(f"1 validation error detected: Value '{value}' at '{field}' failed to satisfy constraint: "
                        f"Member must have value {bound}", code="ValidationException")


def check_configuration(spec: dict[str, Any]) -> None:
    """Raise the AWS error for a CreateFunction / UpdateFunctionConfiguration body AWS refuses."""
    if spec.get("Timeout") is not None:
        problem = _range_error("timeout", spec["Timeout"], 1, MAX_TIMEOUT)
        if problem:
            raise problem
    if spec.get("MemorySize") is not None:
        problem = _range_error("memorySize", spec["MemorySize"], *MEMORY)
        if problem:
            raise problem
    runtime = spec.get("Runtime")
    if runtime in BLOCKED_RUNTIMES:
        raise InvalidInput(f"The runtime parameter of {runtime} is no longer supported for creating or updating AWS "
                           f"Lambda functions. We recommend you use a supported runtime (python3.13, for example) "
                           f"while creating or updating functions.", code="InvalidParameterValueException")
    variables = ((spec.get("Environment") or {}).get("Variables") or {})
    bad = [key for key in variables if not VARIABLE_NAME.fullmatch(str(key))]
    if bad:
        raise InvalidInput("1 validation error detected: Value at 'environment.variables' failed to satisfy "
                           "constraint: Map keys must satisfy constraint: [Member must satisfy regular expression "
                           f"pattern: [a-zA-Z]([a-zA-Z0-9_])+] ({', '.join(map(str, bad))})",
                           code="ValidationException")
    size = sum(len(str(k).encode()) + len(str(v).encode()) for k, v in variables.items())
    if size > MAX_VARIABLES_BYTES:
        raise InvalidInput("Lambda was unable to configure your environment variables because the environment "
                           f"variables you have provided exceeded the 4KB limit. String measured: {size} bytes",
                           code="InvalidParameterValueException")
    reserved = [key for key in variables if key in RESERVED_VARIABLES]
    if reserved:
        raise InvalidInput("Lambda was unable to configure your environment variables because the environment "
                           "variables you have provided contains reserved keys that are currently not supported for "
                           f"modification. Reserved keys used in this request: {', '.join(reserved)}",
                           code="InvalidParameterValueException")
