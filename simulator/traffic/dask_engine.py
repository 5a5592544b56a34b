"""The optional Dask backend of :func:`simulator.traffic.workload.from_logs` (``engine="dask"``).

It runs the same per-range function as the worker processes, :func:`simulator.traffic.logscan.
scan_range`, over the byte ranges of every file, on a Dask cluster: the user's own
(``scheduler="tcp://host:8786"`` or a ``distributed.Client``) or, by default, a local cluster of
one single-threaded worker process per core. The small per-range results (histograms, month
counts, bad lines) come back and merge in file order exactly as they do from local workers, so
the report is the same whichever engine read the logs.

Install: ``pip install "ftroi[dask]"`` (Dask, ``distributed`` and fsspec). The cluster's workers
need ftroi installed and must be able to read the paths: a shared file system, or object
storage through fsspec (``s3://…`` with s3fs, ``gs://…`` with gcsfs).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from typing import Any

from ..core.errors import InputError
from .logscan import DASK_INSTALL, Partial, Task, scan_range

DEFAULT_HOST = "127.0.0.1"
"""The default local cluster listens on this machine only."""


def require() -> None:
    """Raise :class:`InputError` naming the install command when Dask is missing."""
    try:
        import dask  # noqa: F401
        import distributed  # noqa: F401
    except ImportError:
        raise InputError(f"engine 'dask' needs Dask, which is not installed: "
                         f"{DASK_INSTALL}") from None


def run_tasks(tasks: list[Task], *, scheduler: Any = None,
              progress: Callable[[int, int], None] | None = None) -> Iterable[Partial]:
    """The partial of every task, in task order, computed on a Dask cluster.

    scheduler : a scheduler address, a ``distributed.Client``, or None for a local cluster
        (started here and closed at the end)
    """
    require()
    from distributed import Client, LocalCluster, as_completed

    cluster = client = None
    own_client = not isinstance(scheduler, Client)
    try:
        if scheduler is None:
            cluster = LocalCluster(n_workers=os.cpu_count() or 1, threads_per_worker=1,
                                   processes=True, host=DEFAULT_HOST,
                                   dashboard_address=f"{DEFAULT_HOST}:0")
            client = Client(cluster)
        elif isinstance(scheduler, Client):
            client = scheduler
        elif isinstance(scheduler, str) and scheduler.strip():
            try:
                client = Client(scheduler.strip(), timeout="30s")
            except (OSError, TimeoutError, ValueError) as exc:
                raise InputError(f"scheduler {scheduler!r}: cannot connect ({exc})") from None
        else:
            raise InputError(f"scheduler: expected an address such as 'tcp://host:8786', "
                             f"got {scheduler!r}")
        sizes = [t.end - t.start for t in tasks]
        total, done = sum(sizes), 0
        futures = client.map(scan_range, tasks, pure=False)
        index = {f.key: i for i, f in enumerate(futures)}
        results: dict[int, Partial] = {}
        for future in as_completed(futures):
            i = index[future.key]
            results[i] = future.result()
            done += sizes[i]
            if progress:
                progress(done, total)
        return [results[i] for i in range(len(tasks))]
    finally:
        if own_client and client is not None:
            client.close()
        if cluster is not None:
            cluster.close()
