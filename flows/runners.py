"""Task runners for the per-country fan-out: the default thread pool, or Dask (prefect-dask).

``dask`` (a flow-run option, CLI ``--dask``) or ``$SOILC_DASK_ADDRESS`` chooses the runner:

* unset / empty — Prefect's default ``ThreadPoolTaskRunner`` (unchanged behaviour);
* ``"local"`` — a ``distributed.LocalCluster`` created for the flow run and torn down after it
  (2 in-process workers, no dashboard: DuckDB and numpy already use both cores);
* an address such as ``"tcp://scheduler:8786"`` — an existing Dask cluster. Its workers must have
  this project installed (``pip install -e .``) and see the lake at the same path.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, ParamSpec, TypeVar

from inventory.core.settings import get_settings

if TYPE_CHECKING:
    from prefect import Flow
    from prefect.task_runners import TaskRunner

P = ParamSpec("P")
R = TypeVar("R")

LOCAL = "local"
# In-process workers: no pickling across processes, no __main__ guard needed (a process-based
# LocalCluster fails with "Nanny failed to start" in a script without one).
LOCAL_CLUSTER_KWARGS = {"n_workers": 2, "threads_per_worker": 1, "processes": False,
                        "dashboard_address": None}  # fmt: skip


def dask_target(dask: str | None = None) -> str | None:
    """The Dask target from the argument, else ``$SOILC_DASK_ADDRESS``; None = no Dask."""
    target = (dask or get_settings().dask_address or "").strip()
    return target or None


def dask_task_runner(dask: str | None = None) -> TaskRunner[Any] | None:
    """A ``DaskTaskRunner`` for ``dask`` (``"local"`` or an address), else None (default)."""
    target = dask_target(dask)
    if target is None:
        return None
    from prefect_dask import DaskTaskRunner

    if target == LOCAL:
        return DaskTaskRunner(cluster_kwargs=dict(LOCAL_CLUSTER_KWARGS))
    return DaskTaskRunner(address=target)


def current_runner() -> dict[str, str]:
    """The task runner of the running flow, for the run manifest (``dask``: local or address)."""
    from prefect.context import FlowRunContext

    context = FlowRunContext.get()
    runner = context.task_runner if context is not None else None
    described = {"task_runner": type(runner).__name__ if runner is not None else "none"}
    if described["task_runner"] == "DaskTaskRunner":
        described["dask"] = str(getattr(runner, "address", None) or LOCAL)
    return described


def with_task_runner(flow: Flow[P, R], dask: str | None = None) -> Flow[P, R]:
    """``flow`` on the runner chosen by ``dask`` / ``$SOILC_DASK_ADDRESS`` (same flow if none)."""
    runner = dask_task_runner(dask)
    return flow if runner is None else flow.with_options(task_runner=runner)
