"""AWS Step Functions, on moto's ASL interpreter.

moto's state-machine interpreter is switched on (``execute_state_machine``), so
executions really walk the states: Pass, Task, Choice, Wait, Parallel, Map,
Succeed, Fail, with retries and catchers, and record their history.

Not emulated: Task states that call other services use moto's own integrations
(Lambda needs Docker, so Lambda tasks fail here); Express workflows behave as
Standard ones.
"""

from emulators.core.service import ServiceInfo

SERVICE = ServiceInfo(
    aws="AWS Step Functions",
    api_names=("stepfunctions",),
    stand_in="moto's ASL interpreter (execute_state_machine on); LocalStack in docker compose",
    executes="executions walk Pass/Choice/Wait/Parallel/Map/Task states with history",
    not_emulated="Lambda tasks need Docker; Express behaves as Standard; a restart aborts running executions",
    provider="provider",
)
