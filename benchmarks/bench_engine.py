"""Timings of the cost engine against the goals, with ratios to an older engine measured in
the same run.

    .venv/bin/python benchmarks/bench_engine.py [--baseline REV] [--rounds 3]

Timings of the example scenario (``ftroi example``) with a 36-month horizon and the
shipped prices, each the best of several calls:

1. one ``simulate`` (median of 200 calls; goal ≤ 1 ms), every figure computed: the monthly
   costs, totals, NPV, ROI, the break-even month, the payback month, the crossings and the
   break-even volume intervals. The result's pandas tables (``summary``, ``monthly``,
   ``prices``) are views of these numbers built when first read, so
2. the same call followed by reading ``.summary`` and ``.monthly`` is timed too (no goal:
   this is what a notebook that prints the table pays; the old engine built them always);
3. a 10,000-draw Monte Carlo over 36 months and all five options (goal ≤ 30 ms);
4. a 100 × 100 savings grid (goal ≤ 20 ms).

The same ones are timed on the engine of commit ``--baseline`` (default: the last commit
before issue 11), extracted with ``git archive`` into a temporary folder and run in a child
process, alternating with the current engine for ``--rounds`` rounds so that both see the
same load; each figure is the best over the rounds. Ratios are old / new (> 1: faster now).
This is a script, not a test: it prints and exits 0 whatever the timings.

``--allocator``: both engines run with glibc keeping freed memory (``kept``, what the CLI and
the app do, :mod:`simulator.allocator`) or with glibc as it comes (``default``). On this
virtual machine a page fault costs a few microseconds, and with the default allocator the
Monte Carlo and the grid fault in every page of most temporary arrays: they take about twice
as long, by an amount that changes from process to process.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from dataclasses import replace
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BASELINE = "0fe047a"
"""The last commit before issue 11 (break-even intervals, payback, faster engine)."""
N_DRAWS = 10_000
GOALS_MS = {"simulate": 1.0, "monte_carlo": 30.0, "grid": 20.0}
LABELS = {"simulate": "one simulate() (median of 200)",
          "simulate_tables": "simulate() then .summary and .monthly read",
          "monte_carlo": f"Monte Carlo, {N_DRAWS:,} draws x 36 months x 5 options",
          "grid": "savings grid 100 x 100"}


def best_of(fn, repeat: int) -> float:
    """Fastest of ``repeat`` timed calls [s] (the usual way to time with little noise)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def keep_freed_memory() -> bool:
    """:func:`simulator.allocator.keep_freed_memory` of this checkout, loaded by path so that
    the old engine's run gets the same allocator setting as the new one."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("ftroi_allocator",
                                                  ROOT / "simulator" / "allocator.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.keep_freed_memory()


def measure() -> dict[str, float]:
    """The timings of whichever ``simulator`` is importable [ms]."""
    import numpy as np

    if os.environ.get("BENCH_ALLOCATOR", "kept") == "kept":
        keep_freed_memory()

    from simulator import (
        Lognormal,
        Triangular,
        Uniform,
        example_scenario,
        monte_carlo,
        savings_grid,
        simulate,
    )

    distributions = {
        "workload.requests_per_month": Triangular(low=20_000, mode=60_000, high=200_000),
        "workload.growth_per_month": Uniform(low=0.0, high=0.05),
        "prompt.input_usd_per_mtok": Lognormal(median=2.0, sigma=0.2),
        "finetune.labelling_usd_per_example": Triangular(low=0.5, mode=2.0, high=8.0),
        "finetune.accuracy": Uniform(low=0.85, high=0.95),
    }
    scenario = replace(example_scenario(), horizon_months=36)
    simulate(scenario)  # warm up: price table, tokenizer, numpy
    single = statistics.median(best_of(lambda: simulate(scenario), 1) for _ in range(200))

    def with_tables():
        result = simulate(scenario)
        return result.summary, result.monthly

    tables = statistics.median(best_of(with_tables, 1) for _ in range(200))
    mc = best_of(lambda: monte_carlo(scenario, distributions, n=N_DRAWS, seed=0), 7)
    grid = best_of(lambda: savings_grid(
        scenario, x=("workload.requests_per_month", np.linspace(1_000, 500_000, 100)),
        y=("prompt.fewshot_tokens", np.linspace(0, 5_000, 100))), 7)
    return {"simulate": single * 1e3, "simulate_tables": tables * 1e3,
            "monte_carlo": mc * 1e3, "grid": grid * 1e3}


def extract(rev: str, into: Path) -> Path:
    """``simulator/`` and ``pricing/`` of commit ``rev`` under ``into``."""
    archive = into / "old.tar"
    with open(archive, "wb") as fh:
        subprocess.run(["git", "-C", str(ROOT), "archive", rev, "simulator", "pricing"],
                       stdout=fh, check=True)
    with tarfile.open(archive) as tar:
        tar.extractall(into, filter="data")
    return into


def child(pythonpath: Path | None) -> dict[str, float]:
    env = dict(os.environ)
    if pythonpath is not None:
        env["PYTHONPATH"] = str(pythonpath)
    out = subprocess.run([sys.executable, __file__, "--measure"], env=env, check=True,
                         capture_output=True, text=True, cwd=pythonpath or ROOT)
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--baseline", default=BASELINE, help="commit of the older engine")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds")
    parser.add_argument("--allocator", choices=("kept", "default"), default="kept",
                        help="kept (default): glibc keeps freed memory, as the CLI and the app "
                             "set it (simulator.allocator); default: glibc left as it is")
    parser.add_argument("--measure", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    os.environ["BENCH_ALLOCATOR"] = args.allocator
    if args.measure:
        print(json.dumps(measure()))
        return
    with tempfile.TemporaryDirectory() as tmp:
        old_tree = extract(args.baseline, Path(tmp))
        new, old = [], []
        for _ in range(args.rounds):
            new.append(child(None))
            old.append(child(old_tree))
    print(f"engine timings, best of {args.rounds} alternating rounds; old = commit "
          f"{args.baseline} in the same run; allocator: {args.allocator}")
    for key, label in LABELS.items():
        now = min(r[key] for r in new)
        before = min(r[key] for r in old)
        goal = GOALS_MS.get(key)
        verdict = ("no goal: the pandas tables are built when first read" if goal is None else
                   f"goal <= {goal:g} ms: {'meets goal' if now <= goal else 'MISSES goal'}")
        print(f"{label:<55} {now:8.2f} ms (old {before:8.2f} ms, {before / now:5.1f}x faster)"
              f"   {verdict}")


if __name__ == "__main__":
    main()
