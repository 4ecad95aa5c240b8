"""Where chunks of combinations run: this machine's cores, or a Dask cluster.

- `LocalExecutor`: batch-form chunks run in this process, the kernel's numba threads spread
  each chunk over every core; chunks whose decisions come one combination at a time (GIL-bound
  Python) go to a process pool running the single-threaded kernel.
- `DaskExecutor`: chunks are tasks on a `dask.distributed` cluster (a `LocalCluster` unless a
  scheduler address is given). The shared inputs (prices, RSI rows, data) are scattered once to
  every worker; each task carries only its own slice of parameters and returns its statistics.
  Tasks run the single-threaded kernel: the cluster provides the parallelism.
Both yield (start, stop, ChunkResult) as chunks finish, so a progress bar can follow them.
"""

from __future__ import annotations

import multiprocessing
import os
from collections.abc import Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from typing import Any

from engine.errors import BadInputError
from engine.tuning.windows import ChunkResult, Window

Chunk = tuple[int, int, Any]  # (start, stop, payload)

_WORKER_CORE: Any = None


def _init_worker(core: Any) -> None:
    global _WORKER_CORE
    _WORKER_CORE = core


def _run_in_worker(payload: Any, window: Window) -> ChunkResult:
    return _WORKER_CORE.run(payload, window, parallel=False)


def _run_task(core: Any, payload: Any, window: Window) -> ChunkResult:
    return core.run(payload, window, parallel=False)


def _pool_context() -> multiprocessing.context.BaseContext:
    """fork where it exists: a worker starts in milliseconds instead of re-importing vectorbt.
    Workers run only single-threaded engine code (no numba parallel region, no OpenMP), which
    is what makes forking a process that may hold numba's thread pool safe here."""
    methods = multiprocessing.get_all_start_methods()
    return multiprocessing.get_context("fork" if "fork" in methods else "spawn")


class LocalExecutor:
    """Both cores of this machine: numba threads (batch form) or processes (single form)."""

    name = "local"

    def __init__(self, workers: int | None = None) -> None:
        self.workers = workers or os.cpu_count() or 1
        if workers:  # the kernel's threads follow an explicit --workers too
            import numba

            numba.set_num_threads(max(1, min(workers, numba.config.NUMBA_NUM_THREADS)))
        self._pool: ProcessPoolExecutor | None = None
        self._pool_core: Any = None

    def __enter__(self) -> LocalExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if self._pool is not None:
            self._pool.shutdown(cancel_futures=True)
            self._pool = None

    def _pool_for(self, core: Any) -> ProcessPoolExecutor:
        if self._pool is None or self._pool_core is not core:
            self.close()
            self._pool = ProcessPoolExecutor(
                max_workers=self.workers,
                mp_context=_pool_context(),
                initializer=_init_worker,
                initargs=(core,),
            )
            self._pool_core = core
        return self._pool

    def map(self, core: Any, chunks: Iterable[Chunk], window: Window) -> Iterator[tuple]:
        chunks = list(chunks)
        if core.kind == "batch" or self.workers <= 1 or len(chunks) <= 1:
            for start, stop, payload in chunks:
                yield start, stop, core.run(payload, window, parallel=True)
            return
        pool = self._pool_for(core)
        futures = {pool.submit(_run_in_worker, p, window): (s, e) for s, e, p in chunks}
        for future in as_completed(futures):
            start, stop = futures[future]
            yield start, stop, future.result()


class DaskExecutor:
    """Chunks as tasks on a dask.distributed cluster (local by default)."""

    name = "dask"

    def __init__(self, scheduler: str | None = None, workers: int | None = None) -> None:
        try:
            from distributed import Client, LocalCluster
        except ImportError as exc:  # pragma: no cover - dask is a declared dependency
            raise BadInputError(
                "--executor dask needs dask[distributed]: pip install 'dask[distributed]'"
            ) from exc
        self.scheduler = scheduler
        self._cluster = None
        if scheduler:
            try:
                self.client = Client(scheduler, timeout="20s")
            except OSError as exc:
                raise BadInputError(
                    f"cannot reach the Dask scheduler at {scheduler}: {exc}. Check the address "
                    "(e.g. tcp://host:8786) or drop --scheduler for a local cluster."
                ) from None
        else:
            self._cluster = LocalCluster(
                n_workers=workers or os.cpu_count() or 1,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            self.client = Client(self._cluster)
        self._scattered: tuple[Any, Any] | None = None

    @classmethod
    def from_client(cls, client: Any) -> DaskExecutor:
        """Use an existing client (tests, notebooks); it is not closed by this executor."""
        self = cls.__new__(cls)
        self.scheduler = str(client.scheduler.address)
        self._cluster = None
        self.client = client
        self._scattered = None
        self._owns_client = False
        return self

    def __enter__(self) -> DaskExecutor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        if getattr(self, "_owns_client", True):
            self.client.close()
            if self._cluster is not None:
                self._cluster.close()

    def describe(self) -> str:
        workers = len(self.client.scheduler_info().get("workers", {}))
        where = self.scheduler or "a local cluster"
        return f"dask ({where}, {workers} workers)"

    def _core_future(self, core: Any) -> Any:
        if self._scattered is None or self._scattered[0] is not core:
            future = self.client.scatter(core, broadcast=True, hash=False)
            self._scattered = (core, future)
        return self._scattered[1]

    def map(self, core: Any, chunks: Iterable[Chunk], window: Window) -> Iterator[tuple]:
        from distributed import as_completed as dask_completed

        shared = self._core_future(core)
        futures = {}
        for start, stop, payload in chunks:
            future = self.client.submit(_run_task, shared, payload, window, pure=False)
            futures[future] = (start, stop)
        for future in dask_completed(list(futures)):
            start, stop = futures.pop(future)
            yield start, stop, future.result()
            future.release()


def make_executor(kind: str, scheduler: str | None, workers: int | None):
    if kind == "local":
        if scheduler:
            raise BadInputError("--scheduler needs --executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise BadInputError(f"unknown executor {kind!r}; use local or dask")
