"""Timings of the cost engine with glibc's allocator as it comes and after
``keep_freed_memory()``, each against a plain numpy computation of the same size measured in
the same process.

    .venv/bin/python benchmarks/bench_engine.py [--rounds 2] [--sizes 1000,10000,100000,1000000]

The example scenario (``ftroi example``) with a 36-month horizon and the shipped prices:

* ``monte_carlo``: ``n`` draws of five uncertain inputs (volume, growth, prompt input price,
  labelling price, tuned accuracy), all five options, the summary table;
* ``grid``: a savings grid of about ``n`` points (``√n × √n``: month-1 volume × few-shot
  tokens);
* ``reference``: what any numpy code of that size pays, ``n`` draws × 5 options × 9 cost
  components × 37 months: per option, the components added together, then a sum and a
  cumulative sum over the months (the 9 components are ``10,000 × 37`` random arrays,
  reused block by block above 10,000 draws so that 1,000,000 draws fit in memory);
* ``simulate``: one ``simulate()`` of the same scenario (median of 200 calls);
* ``13 fields``: 10,000 Monte Carlo draws of the five fields and eight more whose draws
  make arrays of their own (hours, hourly rate, hosting and GPU prices, time to production,
  price decline, examples, cost per error): a block then holds about three times the arrays,
  which glibc as it comes gave back to the kernel block after block; measured first in each
  process, before the larger runs (whose freed memory would hide it). No reference: it is
  more work than the reference's size, so compare its two columns.

Each setting runs in its own process, so that one does not inherit the other's allocator
state: ``plain`` is glibc as it comes (a notebook, a script); ``kept`` first calls
:func:`simulator.core.allocator.keep_freed_memory`, as the command line and the app do. The two
alternate for ``--rounds`` rounds; each figure is the best over the rounds of the best of a
few calls (fewer for the large sizes: two at 1,000,000 draws, whose first call in a process
also pays the kernel for the 200 MB or so of memory it touches for the first time, about
0.3 s of system time on a kernel with transparent huge pages always on). The ratio is the engine's time over the reference's
in the same process (≤ 1: as fast as plain numpy code of that size). Last, each process runs
a 1,000,000-draw Monte Carlo under ``tracemalloc`` and says its peak (the largest memory
numpy held at once) and the process's maximum resident size.

Times are the process's processor time (``--clock cpu``, the default: user and system, page
faults included), which other work on a shared machine disturbs less than elapsed time
(``--clock wall``); quote ratios and ranges over runs, not one figure. This is a script, not
a test: it prints and exits 0.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from dataclasses import replace

SIZES = (1_000, 10_000, 100_000, 1_000_000)
REFERENCE_BLOCK = 10_000
"""Draws of the reference's component arrays, reused block by block above it."""
SETTINGS = ("plain", "kept")
MORE_FIELDS_RANGES = {
    "prompt.maintenance_hours_per_month": (1.0, 10.0), "hourly_rate_usd": (80.0, 150.0),
    "finetune.hosting_usd_per_hour": (0.0, 2.0), "selfhost.gpu_usd_per_hour": (1.0, 4.0),
    "finetune.months_to_production": (0.0, 4.0), "price_decline": (0.0, 0.4),
    "finetune.examples": (500.0, 5_000.0), "cost_per_error_usd": (0.01, 1.0),
}
"""The eight fields of the ``13 fields`` run, drawn uniformly over these ranges."""


def repeats(n: int) -> int:
    """Calls timed at ``n`` draws (the best one counts)."""
    return 7 if n <= 10_000 else 3 if n <= 100_000 else 2


CLOCKS = {"cpu": time.process_time, "wall": time.perf_counter}
"""``cpu``: the process's processor time, user and system (page faults included), which
other sessions on a shared machine disturb less than ``wall``, the clock on the wall."""
CLOCK = CLOCKS["cpu"]


def best_of(fn, repeat: int) -> float:
    """Fastest of ``repeat`` timed calls [s] on :data:`CLOCK`."""
    times = []
    for _ in range(repeat):
        t0 = CLOCK()
        fn()
        times.append(CLOCK() - t0)
    return min(times)


def reference(n: int, components) -> None:
    """``n`` draws × 5 options × 9 components × 37 months: per option, the components summed,
    then a sum and a cumulative sum over the months."""
    for start in range(0, n, REFERENCE_BLOCK):
        rows = min(REFERENCE_BLOCK, n - start)
        parts = [c[:rows] for c in components]
        for _ in range(5):
            total = parts[0] + parts[1]
            for c in parts[2:]:
                total = total + c
            total.sum(axis=-1)
            total.cumsum(axis=-1)


def measure(setting: str, sizes: tuple[int, ...]) -> dict:
    """Timings [ms] of this process, with glibc left alone or keeping freed memory."""
    if setting == "kept":
        from simulator.core.allocator import keep_freed_memory

        keep_freed_memory()
    import tracemalloc

    import numpy as np

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
    simulate(scenario)  # warm up: price table, numpy
    rng = np.random.default_rng(0)
    components = [rng.random((REFERENCE_BLOCK, 37)) for _ in range(9)]
    out: dict = {"simulate": 1e3 * statistics.median(
        best_of(lambda: simulate(scenario), 1) for _ in range(200))}
    many = dict(distributions, **{path: Uniform(low=lo, high=hi)
                                  for path, (lo, hi) in MORE_FIELDS_RANGES.items()})
    out["13_fields"] = 1e3 * best_of(
        lambda: monte_carlo(scenario, many, n=10_000, seed=0), repeats(10_000))
    for n in sizes:
        side = max(1, round(n ** 0.5))
        r = repeats(n)
        out[str(n)] = {
            "reference": 1e3 * best_of(lambda n=n: reference(n, components), r),
            "monte_carlo": 1e3 * best_of(
                lambda n=n: monte_carlo(scenario, distributions, n=n, seed=0), r),
            "grid": 1e3 * best_of(lambda side=side: savings_grid(
                scenario, x=("workload.requests_per_month", np.linspace(1_000, 500_000, side)),
                y=("prompt.fewshot_tokens", np.linspace(0, 5_000, side))), r),
        }
    tracemalloc.start()
    monte_carlo(scenario, distributions, n=1_000_000, seed=0)
    out["peak_mb_1m"] = tracemalloc.get_traced_memory()[1] / 1e6
    tracemalloc.stop()
    out["maxrss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1e3
    return out


def child(setting: str, sizes: tuple[int, ...], clock: str) -> dict:
    """:func:`measure` in a new process."""
    run = subprocess.run([sys.executable, __file__, "--measure", setting, "--sizes",
                          ",".join(map(str, sizes)), "--clock", clock],
                         check=True, capture_output=True,
                         text=True, env=dict(os.environ))
    return json.loads(run.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=2, help="alternating rounds")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)),
                        help="draws (and grid points), comma-separated")
    parser.add_argument("--clock", choices=tuple(CLOCKS), default="cpu",
                        help="cpu (default): processor time of the process; wall: elapsed")
    parser.add_argument("--measure", choices=SETTINGS, help=argparse.SUPPRESS)
    args = parser.parse_args()
    global CLOCK
    CLOCK = CLOCKS[args.clock]
    sizes = tuple(int(s) for s in args.sizes.split(","))
    if args.measure:
        print(json.dumps(measure(args.measure, sizes)))
        return
    runs: dict[str, list[dict]] = {s: [] for s in SETTINGS}
    for _ in range(args.rounds):
        for setting in SETTINGS:
            runs[setting].append(child(setting, sizes, args.clock))

    def best(setting: str, n: int, key: str) -> float:
        return min(r[str(n)][key] for r in runs[setting])

    def ratio(setting: str, n: int, key: str) -> float:
        """The engine over the reference of the same process, the round with the best
        engine time."""
        r = min(runs[setting], key=lambda r: r[str(n)][key])
        return r[str(n)][key] / r[str(n)]["reference"]

    print(f"engine timings [ms, {args.clock} clock], best of {args.rounds} alternating rounds; "
          f"each setting in its own process; ratio = engine / numpy reference of the same "
          f"size, same process")
    print(f"{'':<22}{'plain glibc (as it comes)':>34}{'after keep_freed_memory()':>34}")
    for n in sizes:
        for key, label in (("reference", "reference"), ("monte_carlo", "Monte Carlo"),
                           ("grid", "grid")):
            cells = []
            for setting in SETTINGS:
                text = f"{best(setting, n, key):10.1f}"
                if key != "reference":
                    text += f"  ({ratio(setting, n, key):4.2f}x ref)"
                cells.append(f"{text:>34}")
            print(f"{f'{n:>9,} {label}':<22}{''.join(cells)}")
    for key, label, pick in (("13_fields", "13 fields, 10k draws", min),
                             ("simulate", "one simulate() (median)", min),
                             ("peak_mb_1m", "1M-draw run: peak [MB]", max),
                             ("maxrss_mb", "process max RSS [MB]", max)):
        cells = "".join(f"{pick(r[key] for r in runs[s]):34.1f}" for s in SETTINGS)
        print(f"{label:<22}{cells}")


if __name__ == "__main__":
    main()
