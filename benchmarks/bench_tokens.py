"""Benchmark: analyze_dataset against a plain tiktoken loop over the same JSONL.

Run: ``python benchmarks/bench_tokens.py [--examples 50000]``

Two generated files of chat fine-tuning examples:

* *shared*: every example starts with the same long system prompt (the common case);
* *unique*: every string in the file is different (no repeated text to exploit).

The baseline is what one would write by hand: read each line, ``json.loads`` it, and
``len(enc.encode_ordinary(...))`` every role and content, adding OpenAI's chat overhead.
Both use the same tiktoken Encoding object, measured in the same run; the ratio is
baseline time / analyze_dataset time (higher is better). Goals: ≥ 3× shared, ≥ 0.9× unique.

Request logs (``--requests N``, 0 to skip): ``simulator.traffic.workload.from_logs`` on generated chat
request logs (same two kinds: a shared system prompt, all-unique text) in one process and in
worker processes over byte ranges, each against the same plain loop (``json.loads`` every line,
encode every role and content). Peak memory: this process's peak RSS and the largest worker's
(``getrusage``); the sum bounds what the whole run held. Goal: ≥ 1.7× one process with two
workers on unique text. With Dask installed (``pip install -e ".[dask]"``; ``--no-dask`` to
skip) a row runs the same ranges on a local cluster of two worker processes, started before
the timing (its workers' memory is not in the peak RSS line).
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import sys
import tempfile
import time
from pathlib import Path

from simulator.tokens.tokens import analyze_dataset, get_encoding
from simulator.traffic.workload import from_logs

WORDS = ["account", "billing", "crash", "refund", "invoice", "login", "password", "slow", "export", "report", "customer", "order", "delivery", "late", "broken", "screen", "update", "install", "error", "payment", "card", "charge", "twice", "cancel", "subscription", "upgrade", "plan", "team", "member", "invite", "permission", "access", "denied"]


def make_file(path: Path, n: int, *, shared: bool, seed: int = 0) -> None:
    rng = random.Random(seed)
    system = ("You are the support triage assistant for Acme. Read the customer's ticket and "
              "answer with exactly one category from this list: " + ", ".join(WORDS) + ". "
              + " ".join(f"Rule {i}: be precise about {w} issues." for i, w in enumerate(WORDS)))
    with path.open("w") as fh:
        for i in range(n):
            sys_text = system if shared else f"{i} " + " ".join(rng.choices(WORDS, k=80))
            user = f"Ticket {i}: " + " ".join(rng.choices(WORDS, k=rng.randint(10, 60)))
            answer = f"{rng.choice(WORDS)} (#{i})"
            fh.write(json.dumps({"messages": [{"role": "system", "content": sys_text},
                                              {"role": "user", "content": user},
                                              {"role": "assistant", "content": answer}]}) + "\n")


def plain_loop(path: Path, model_encoding: str) -> int:
    enc = get_encoding(model_encoding)
    total = 0
    with path.open() as fh:
        for line in fh:
            record = json.loads(line)
            total += 3
            for message in record["messages"]:
                total += 3 + len(enc.encode_ordinary(message["role"]))
                total += len(enc.encode_ordinary(message["content"]))
    return total


def make_log(path: Path, n: int, *, shared: bool, seed: int = 0) -> None:
    """``n`` chat request log lines with a timestamp and a usage object."""
    rng = random.Random(seed)
    system = "You are the support triage assistant for Acme. " + " ".join(WORDS * 3)
    with path.open("w") as fh:
        for i in range(n):
            sys_text = system if shared else f"{i} " + " ".join(rng.choices(WORDS, k=80))
            user = f"Ticket {i}: " + " ".join(rng.choices(WORDS, k=rng.randint(10, 60)))
            fh.write(json.dumps({
                "timestamp": 1_780_000_000 + 30 * i, "model": "gpt-4o-mini",
                "messages": [{"role": "system", "content": sys_text},
                             {"role": "user", "content": user}],
                "usage": {"prompt_tokens": 0, "completion_tokens": rng.randint(1, 200)}}) + "\n")


def plain_log_loop(path: Path) -> int:
    """Prompt tokens of every request, by hand: json.loads, then encode role and content."""
    enc = get_encoding("o200k_base")
    total = 0
    with path.open("rb") as fh:
        for line in fh:
            total += 3
            for message in json.loads(line)["messages"]:
                total += 3 + len(enc.encode_ordinary(message["role"]))
                total += len(enc.encode_ordinary(message["content"]))
    return total


def peak_mb(who: int) -> float:
    """Peak resident memory [MB] of this process (RUSAGE_SELF) or its largest child."""
    kb = resource.getrusage(who).ru_maxrss
    return kb / 1024 if sys.platform != "darwin" else kb / 2**20


def bench_logs(tmp: str, n: int, repeat: int, dask: bool = True) -> None:
    runs = []
    for label, shared in (("shared system prompt", True), ("all-unique text", False)):
        path = Path(tmp) / f"log-{label[:6]}.jsonl"
        make_log(path, n, shared=shared, seed=1)
        size_mb = path.stat().st_size / 1e6
        t_base, base_total = best_of(lambda path=path: plain_log_loop(path), repeat)
        print(f"logs, {label:22s} {n:,} requests, {size_mb:,.0f} MB: plain loop {t_base:.2f} s")
        times = {}
        for workers in (1, 2):
            t, report = best_of(lambda path=path, workers=workers: from_logs(
                path, workers=workers, chunk_bytes=4 * 2**20), repeat)
            total = round(report.prompt_tokens.mean * report.prompt_tokens.n)
            assert total == base_total, (total, base_total)
            times[workers] = t
            print(f"  from_logs, {workers} process{'es' if workers > 1 else ''}: {t:.2f} s, "
                  f"ratio {t_base / t:.2f}x the plain loop")
        print(f"  2 workers / 1 process: {times[1] / times[2]:.2f}x")
        runs.append((label, path, t_base, base_total, times[1]))
    print(f"peak RSS: this process {peak_mb(resource.RUSAGE_SELF):,.0f} MB, largest worker "
          f"{peak_mb(resource.RUSAGE_CHILDREN):,.0f} MB")
    if dask:
        # Last: the Dask client's threads would make the worker processes above spawn, not fork.
        bench_dask(runs, repeat)


def bench_dask(runs: list, repeat: int) -> None:
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        print('(no Dask rows: pip install -e ".[dask]")')
        return
    with LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                      dashboard_address="127.0.0.1:0") as cluster, Client(cluster) as client:
        for label, path, t_base, base_total, t_one in runs:
            t, report = best_of(lambda path=path: from_logs(
                path, engine="dask", scheduler=client, chunk_bytes=4 * 2**20), repeat)
            assert round(report.prompt_tokens.mean * report.prompt_tokens.n) == base_total
            print(f"logs, {label:22s} Dask local cluster (2 worker processes, started "
                  f"before): {t:.2f} s, ratio {t_base / t:.2f}x the plain loop, "
                  f"{t_one / t:.2f}x one process")


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, result = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=50_000)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--requests", type=int, default=200_000,
                        help="request-log lines for the workload rows (0: skip them)")
    parser.add_argument("--no-dask", action="store_true",
                        help="skip the Dask local-cluster row (run when dask is installed)")
    args = parser.parse_args()
    get_encoding("o200k_base")  # build once, outside the timings
    with tempfile.TemporaryDirectory() as tmp:
        for label, shared in (("shared system prompt", True), ("all-unique text", False)):
            if not args.examples:
                break
            path = Path(tmp) / f"{label[:6]}.jsonl"
            make_file(path, args.examples, shared=shared)
            t_base, base_total = best_of(lambda path=path: plain_loop(path, "o200k_base"),
                                          args.repeat)
            t_ours, report = best_of(
                lambda path=path: analyze_dataset(path, "gpt-4o-mini", max_tokens_per_example=None),
                args.repeat)
            assert report.tokens_total == base_total, (report.tokens_total, base_total)
            print(f"{label:22s} {args.examples:,} examples, {base_total:,} tokens: "
                  f"plain loop {t_base:.3f} s, analyze_dataset {t_ours:.3f} s, "
                  f"ratio {t_base / t_ours:.2f}x")
        if args.requests:
            bench_logs(tmp, args.requests, args.repeat, dask=not args.no_dask)


if __name__ == "__main__":
    main()
