"""Where the partitions of the land-unit engine run: this process, or a Dask cluster.

Both executors offer ``submit`` (a task; its handle), ``scatter`` (data every task will read)
and ``gather`` (handles to values), so :mod:`inventory.engine.land.partitioned` is written once for
both. With Dask, results stay on the workers until gathered, and a task's handle can be passed
to the next task (Dask resolves it where it runs).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, Protocol


class Executor(Protocol):
    """Where partition tasks run: ``submit`` returns a handle, ``gather`` the values."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any: ...
    def scatter(self, data: Any) -> Any: ...
    def gather(self, handles: list[Any]) -> list[Any]: ...


class InProcess:
    """Runs each task at once in this process: partitions one after the other."""

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return fn(*args, **kwargs)

    def scatter(self, data: Any) -> Any:
        return data

    def gather(self, handles: list[Any]) -> list[Any]:
        return list(handles)


class DaskExecutor:
    """Tasks on a Dask cluster; results stay on the workers until gathered."""

    def __init__(self, client: Any):
        self.client = client

    def submit(self, fn: Callable[..., Any], /, *args: Any, **kwargs: Any) -> Any:
        return self.client.submit(fn, *args, pure=False, **kwargs)

    def scatter(self, data: Any) -> Any:
        return self.client.scatter(data, broadcast=True)  # one copy per worker

    def gather(self, handles: list[Any]) -> list[Any]:
        return list(self.client.gather(handles))


@contextmanager
def executor_here() -> Iterator[Executor]:
    """A :class:`DaskExecutor` on the cluster when called inside a Dask task, else in-process.

    Inside a Dask task (e.g. the per-country task of ``soc-inventory run --dask``) the partitions
    go to the same cluster through ``distributed.worker_client`` (the task leaves the worker's
    thread pool while it waits, so it does not block its own partitions).
    """
    try:
        from distributed import get_worker, worker_client

        get_worker()
    except (ImportError, ValueError):
        yield InProcess()
        return
    with worker_client() as client:
        yield DaskExecutor(client)
