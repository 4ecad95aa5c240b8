"""Where chunks of combinations run: this machine's cores, or a Dask cluster.

- `LocalExecutor`: batch-form chunks run in this process, the kernel's numba threads spread
  each chunk over every core; chunks whose decisions come one combination at a time (GIL-bound
  Python) go to a process pool running the single-threaded kernel.
- `DaskExecutor`: chunks are tasks on a `dask.distributed` cluster (a `LocalCluster` unless a
  scheduler address is given). The shared inputs (prices, RSI rows, data) are scattered once to
  every worker; each task carries only its own slice of parameters and returns its statistics.
  Tasks run the single-threaded kernel: the cluster provides the parallelism.
Both yield (start, stop, ChunkResult) as chunks finish, so a progress bar can follow them, and
take chunks from their iterator only as workers free up (IN_FLIGHT per worker), so the
parameters of a 10-million-combination grid are never all decoded at once.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import re
from collections.abc import Iterable, Iterator
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from typing import Any

from engine.errors import BadInputError, shorten
from engine.tuning.windows import ChunkResult, Window

Chunk = tuple[int, int, Any]  # (start, stop, payload)
IN_FLIGHT = 4  # chunks submitted ahead per worker (process pool, Dask): bounded memory

_WORKER_CORE: Any = None


def _init_worker(core: Any) -> None:
    global _WORKER_CORE
    _WORKER_CORE = core


def _run_in_worker(payload: Any, window: Window) -> ChunkResult:
    return _WORKER_CORE.run(payload, window, parallel=False)


_SHIPPED: dict[str, Any] = {}  # on a Dask worker: token -> the unpickled core, once per process


def _run_task(core: Any, payload: Any, window: Window) -> ChunkResult:
    return core.run(payload, window, parallel=False)


def _run_shipped(shipped: tuple[str, bytes], payload: Any, window: Window) -> ChunkResult:
    """A chunk on a Dask worker: the core arrives as cloudpickle bytes (the strategy's own
    module by value), unpickled once per worker process."""
    token, blob = shipped
    core = _SHIPPED.get(token)
    if core is None:
        import cloudpickle

        _SHIPPED.clear()  # one sweep's core at a time
        core = _SHIPPED[token] = cloudpickle.loads(blob)
    return core.run(payload, window, parallel=False)


_LIBRARY = ("engine", "strategies")  # installed with the project on every worker


def user_modules(core: Any) -> list[Any]:
    """Modules of the strategy's own code that workers cannot import: a `--strategies-dir`
    file or any module outside the project's packages (a notebook's `__main__` is pickled by
    value anyway)."""
    import sys

    strategy = core.strategy
    names = {
        getattr(value, "__module__", None)
        for value in (*vars(strategy).values(), strategy.params_model)
    }
    modules = []
    for name in sorted(n for n in names if n):
        root = name.split(".")[0]
        if name == "__main__" or root in _LIBRARY or name not in sys.modules:
            continue
        module = sys.modules[name]
        origin = getattr(module, "__file__", None) or ""
        if "site-packages" in origin or "dist-packages" in origin:
            continue  # an installed library: the workers have it
        modules.append(module)
    return modules


def ship(core: Any) -> bytes:
    """The core as cloudpickle bytes, with the strategy's own modules pickled by value, so a
    strategy loaded with --strategies-dir or defined in a notebook runs on any worker."""
    import importlib
    import io
    import sys
    import types

    import cloudpickle

    class Pickler(cloudpickle.Pickler):
        def reducer_override(self, obj: Any) -> Any:
            # A module of a ModuleType subclass (the `engine` package is one) by name, as
            # cloudpickle does for plain modules.
            if (
                isinstance(obj, types.ModuleType)
                and type(obj) is not types.ModuleType
                and sys.modules.get(obj.__name__) is obj
            ):
                return importlib.import_module, (obj.__name__,)
            return super().reducer_override(obj)

    modules = user_modules(core)
    for module in modules:
        cloudpickle.register_pickle_by_value(module)
    try:
        buffer = io.BytesIO()
        Pickler(buffer, protocol=cloudpickle.DEFAULT_PROTOCOL).dump(core)
        return buffer.getvalue()
    finally:
        for module in modules:
            cloudpickle.unregister_pickle_by_value(module)


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
        """Chunks are taken from `chunks` as they are needed (a sweep decodes each chunk's
        parameters when it is taken): at most IN_FLIGHT per worker wait in the pool."""
        chunks = iter(chunks)
        head = list(itertools.islice(chunks, 2))
        if core.kind == "batch" or self.workers <= 1 or len(head) <= 1:
            for start, stop, payload in itertools.chain(head, chunks):
                yield start, stop, core.run(payload, window, parallel=True)
            return
        pool = self._pool_for(core)
        pending = itertools.chain(head, chunks)
        futures: dict[Any, tuple[int, int]] = {}

        def submit(count: int) -> None:
            for start, stop, payload in itertools.islice(pending, count):
                futures[pool.submit(_run_in_worker, payload, window)] = (start, stop)

        submit(IN_FLIGHT * self.workers)
        while futures:
            done, _ = wait(futures, return_when=FIRST_COMPLETED)
            for future in done:
                start, stop = futures.pop(future)
                submit(1)
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
            self.client = connect(scheduler)
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
            import uuid

            shipped = (uuid.uuid4().hex, ship(core))
            future = self.client.scatter(shipped, broadcast=True, hash=False)
            self._scattered = (core, future)
        return self._scattered[1]

    def map(self, core: Any, chunks: Iterable[Chunk], window: Window) -> Iterator[tuple]:
        from distributed import as_completed as dask_completed

        shared = self._core_future(core)
        pending = iter(chunks)
        futures: dict[Any, tuple[int, int]] = {}
        running = dask_completed()

        def submit(count: int) -> None:
            for start, stop, payload in itertools.islice(pending, count):
                future = self.client.submit(_run_shipped, shared, payload, window, pure=False)
                futures[future] = (start, stop)
                running.add(future)

        # a bounded number of tasks at a time: chunks are decoded as they are submitted
        workers = len(self.client.scheduler_info().get("workers", {})) or 1
        submit(IN_FLIGHT * workers)
        for future in running:
            start, stop = futures.pop(future)
            submit(1)
            yield start, stop, future.result()
            future.release()


CONNECT_TIMEOUT_S = 10.0  # each step of reaching a scheduler: TCP connect, handshake, client
_ADDRESS = re.compile(
    r"^(?:(?P<scheme>tcp|tls)://)?(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9](?:[A-Za-z0-9.\-_]*))"
    r"(?::(?P<port>\d{1,5}))?/?$"
)
_MAX_FIRST_FRAME = 1 << 26  # a scheduler's handshake is a few hundred bytes


def parse_scheduler(address: str) -> tuple[str, str, int]:
    """(scheme, host, port) of a Dask scheduler address: tcp://host:8786, tls://host:8786 or
    host:port (tcp, port 8786 when left out); anything else is bad input."""
    match = _ADDRESS.match(address.strip())
    port = int(match.group("port") or 8786) if match else 0
    if not match or not 1 <= port <= 65535:
        raise BadInputError(
            f"--scheduler {shorten(repr(address))} is not a Dask scheduler address; give "
            "tcp://HOST:PORT (e.g. tcp://10.0.0.5:8786), tls://HOST:PORT or HOST:PORT"
        )
    return match.group("scheme") or "tcp", match.group("host").strip("[]"), port


def _probe(address: str, scheme: str, host: str, port: int, timeout: float) -> None:
    """Refuse, within `timeout` seconds, an address where no Dask scheduler answers: nothing
    listens, or something else does (an HTTP server waits for a request; an SSH server's
    greeting is not a Dask frame). A scheduler writes its handshake as soon as it accepts."""
    import socket
    import struct

    fix = "Check the address and that `dask scheduler` runs there, or drop --scheduler"
    try:
        sock = socket.create_connection((host, port), timeout=timeout)
    except OSError as exc:
        reason = "timed out" if isinstance(exc, TimeoutError) else exc.strerror or str(exc)
        raise BadInputError(
            f"cannot reach the Dask scheduler at {address}: {reason}. {fix}."
        ) from None
    with sock:
        if scheme != "tcp":
            return  # TLS: the handshake starts with the TLS one; the client's timeout bounds it
        sock.settimeout(timeout)
        head = b""
        try:
            while len(head) < 8:
                part = sock.recv(8 - len(head))
                if not part:
                    break
                head += part
        except OSError:
            pass
    if len(head) < 8:
        raise BadInputError(
            f"{address} accepted the connection but sent no Dask handshake within {timeout:g} s: "
            f"something other than a Dask scheduler listens there. {fix}."
        )
    (length,) = struct.unpack("<Q", head)
    if not 0 < length <= _MAX_FIRST_FRAME:
        raise BadInputError(
            f"{address} answered, but not with the Dask protocol: something other than a Dask "
            f"scheduler listens there. {fix}."
        )


def connect(address: str, timeout: float = CONNECT_TIMEOUT_S) -> Any:
    """A client of the scheduler at `address`, or one line saying why not, in bounded time."""
    from distributed import Client

    scheme, host, port = parse_scheduler(address)
    _probe(address, scheme, host, port, timeout)
    url = f"{scheme}://{'[' + host + ']' if ':' in host else host}:{port}"
    try:
        return Client(url, timeout=f"{timeout:g}s")
    except Exception as exc:  # any failure to connect is the address's
        raise BadInputError(
            f"cannot connect to the Dask scheduler at {address}: {type(exc).__name__}: "
            f"{shorten(str(exc))}. Check the address, the versions of dask on both sides, or "
            "drop --scheduler for a local cluster."
        ) from None


def make_executor(kind: str, scheduler: str | None, workers: int | None):
    if kind == "local":
        if scheduler:
            raise BadInputError("--scheduler needs --executor dask")
        return LocalExecutor(workers)
    if kind == "dask":
        return DaskExecutor(scheduler, workers)
    raise BadInputError(f"unknown executor {kind!r}; use local or dask")
