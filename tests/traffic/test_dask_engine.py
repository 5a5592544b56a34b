"""The optional Dask backend (``engine="dask"``) and fsspec URLs: the same report as one process.

Dask runs on an in-process local cluster (``processes=False``: inproc transport, no sockets);
URLs are fsspec's in-memory file system. Nothing touches the network. The Dask tests are
skipped where the extra (``pip install -e ".[dask]"``) is not installed.
"""

from __future__ import annotations

import sys

import numpy as np
import pytest
from test_workload import chat_log

from simulator import InputError
from simulator.cli.main import main
from simulator.traffic.workload import from_logs


@pytest.fixture(scope="module")
def logs(tmp_path_factory):
    folder = tmp_path_factory.mktemp("dask-logs")
    first, second = folder / "a.jsonl", folder / "b.jsonl"
    chat_log(first, 1200, seed=2, bad_every=300)
    chat_log(second, 800, seed=3, bad_every=200, days=40)
    return [first, second]


def same_report(a, b) -> None:
    assert a.summary() == b.summary()
    assert a.errors == b.errors and a.n_errors == b.n_errors
    assert a.months.equals(b.months)
    assert a.static_prefix == b.static_prefix
    for x, y in ((a.input_tokens, b.input_tokens), (a.output_tokens, b.output_tokens)):
        assert np.array_equal(x.values, y.values) and np.array_equal(x.counts, y.counts)


def test_without_dask_the_engine_names_the_install(monkeypatch, logs, capsys):
    monkeypatch.setitem(sys.modules, "distributed", None)   # import distributed fails
    with pytest.raises(InputError, match=r'pip install "ftroi\[dask\]"'):
        from_logs(logs, engine="dask")
    code = main(["workload", str(logs[0]), "--engine", "dask", "--no-progress"])
    out, err = capsys.readouterr()
    assert code == 2 and out == ""
    assert len(err.strip().splitlines()) == 1 and 'pip install "ftroi[dask]"' in err


def test_engine_and_scheduler_are_checked(logs, capsys):
    with pytest.raises(InputError, match="engine: must be one of"):
        from_logs(logs, engine="spark")
    with pytest.raises(InputError, match="only with engine='dask'"):
        from_logs(logs, scheduler="tcp://127.0.0.1:8786")
    assert main(["workload", str(logs[0]), "--scheduler", "tcp://127.0.0.1:8786"]) == 2
    assert "--scheduler: only with --engine dask" in capsys.readouterr().err


# ---- with Dask ---------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def client():
    pytest.importorskip("distributed")
    from distributed import Client, LocalCluster

    with LocalCluster(n_workers=2, threads_per_worker=1, processes=False,
                      dashboard_address=":0") as cluster, Client(cluster) as c:
        yield c


def test_dask_equals_one_process_over_files_and_ranges(logs, client):
    one = from_logs(logs, workers=1)
    seen = []
    on_dask = from_logs(logs, engine="dask", scheduler=client, chunk_bytes=40_000,
                        progress=lambda done, total: seen.append((done, total)))
    same_report(on_dask, one)
    assert on_dask.n_errors == 8 and on_dask.files == one.files
    assert len(seen) > 2 and seen[-1][0] == seen[-1][1]


def test_cli_dask_by_scheduler_address_prints_what_processes_print(logs, client, capsys):
    address = client.scheduler.address
    assert address.startswith("inproc://")
    files = [str(p) for p in logs]
    assert main(["workload", *files, "--workers", "1", "--no-progress"]) == 0
    here = capsys.readouterr().out
    assert main(["workload", *files, "--engine", "dask", "--scheduler", address,
                 "--chunk-mb", "0.05", "--no-progress"]) == 0
    assert capsys.readouterr().out == here


def test_urls_read_through_fsspec_on_dask_and_here(logs, client):
    """``file://`` URLs on Dask (fsspec's memory files share one cursor between threads, so
    they stand in for object storage only in this process) and ``memory://`` here."""
    fsspec = pytest.importorskip("fsspec")
    fs = fsspec.filesystem("memory")
    memory = []
    for path in logs:
        url = f"memory://ftroi-test/{path.name}"
        fs.pipe(url, path.read_bytes())
        memory.append(url)
    try:
        one = from_logs(logs, workers=1)
        on_dask = from_logs([p.as_uri() for p in logs], engine="dask", scheduler=client,
                            chunk_bytes=50_000)
        here = from_logs(memory, workers=1, chunk_bytes=50_000)
        for report, urls in ((on_dask, [p.as_uri() for p in logs]), (here, memory)):
            assert report.files == tuple(urls)
            assert report.summary() | {"files": ""} == one.summary() | {"files": ""}
            assert [(e.line, e.message) for e in report.errors] == \
                [(e.line, e.message) for e in one.errors]
            assert report.months.equals(one.months)
            assert np.array_equal(report.input_tokens.counts, one.input_tokens.counts)
        with pytest.raises(InputError, match="no such file"):
            from_logs("memory://ftroi-test/missing.jsonl", engine="dask", scheduler=client)
    finally:
        fs.rm("memory://ftroi-test", recursive=True)


def test_default_local_cluster_is_closed_after_use(logs, monkeypatch):
    pytest.importorskip("distributed")
    import distributed

    made = []
    real = distributed.LocalCluster

    def small(**kwargs):                      # the default cluster, in-process and small
        assert kwargs["host"] == "127.0.0.1" and kwargs["threads_per_worker"] == 1
        kwargs.update(processes=False, n_workers=1, dashboard_address=":0")
        del kwargs["host"]
        made.append(real(**kwargs))
        return made[-1]

    monkeypatch.setattr(distributed, "LocalCluster", small)
    report = from_logs(logs[1], engine="dask", chunk_bytes=40_000)
    same_report(report, from_logs(logs[1], workers=1))
    assert made and made[0].status.name == "closed"
