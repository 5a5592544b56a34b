"""Timings of the cost engine, with ratios against a baseline measured in the same run.

    .venv/bin/python benchmarks/bench_engine.py [--loop-calls 300]

1. A 10,000-draw Monte Carlo over 36 months and all five options, against 10,000 calls of
   ``simulate`` in a Python loop (goal: ≥ 50× faster, under 0.2 s). The loop is *estimated*:
   ``--loop-calls`` calls are timed and scaled to 10,000 (the output says so).
2. A 100 × 100 savings grid (goal: under 0.1 s).
3. One ``simulate`` of the same scenario (goal: under 5 ms).

Uses the example scenario (``ftroi example``) with a 36-month horizon and the shipped prices.
This is a script, not a test: it prints and exits 0 whatever the timings.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

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
from simulator.scenario import with_values

N_DRAWS = 10_000
DISTRIBUTIONS = {
    "workload.requests_per_month": Triangular(low=20_000, mode=60_000, high=200_000),
    "workload.growth_per_month": Uniform(low=0.0, high=0.05),
    "prompt.input_usd_per_mtok": Lognormal(median=2.0, sigma=0.2),
    "finetune.labelling_usd_per_example": Triangular(low=0.5, mode=2.0, high=8.0),
    "finetune.accuracy": Uniform(low=0.85, high=0.95),
}


def best_of(fn, repeat: int) -> float:
    """Fastest of ``repeat`` timed calls [s] (the usual way to time with little noise)."""
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def verdict(ok: bool) -> str:
    return "meets goal" if ok else "MISSES goal"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--loop-calls", type=int, default=300,
                        help="simulate() calls timed to estimate the 10,000-call loop")
    args = parser.parse_args()

    scenario = replace(example_scenario(), horizon_months=36)
    simulate(scenario)  # warm up: price table, tokenizer, numpy

    # 1. Monte Carlo vs a loop of simulate()
    mc_s = best_of(lambda: monte_carlo(scenario, DISTRIBUTIONS, n=N_DRAWS, seed=0), 5)
    draws = {k: d.sample(np.random.default_rng(1), args.loop_calls)
             for k, d in DISTRIBUTIONS.items()}
    scenarios = [with_values(scenario, {k: float(v[i]) for k, v in draws.items()})
                 for i in range(args.loop_calls)]
    t0 = time.perf_counter()
    for s in scenarios:
        simulate(s)
    loop_s = (time.perf_counter() - t0) / args.loop_calls * N_DRAWS
    ratio = loop_s / mc_s
    print(f"Monte Carlo, {N_DRAWS:,} draws x 36 months x 5 options: {mc_s * 1e3:8.1f} ms   "
          f"goal < 200 ms: {verdict(mc_s < 0.2)}")
    print(f"loop of {N_DRAWS:,} simulate() calls (estimated from {args.loop_calls} calls, "
          f"scaled): {loop_s:8.2f} s")
    print(f"speed-up of the vectorised run: {ratio:8.0f}x   goal >= 50x: {verdict(ratio >= 50)}")

    # 2. grid
    grid_s = best_of(lambda: savings_grid(
        scenario, x=("workload.requests_per_month", np.linspace(1_000, 500_000, 100)),
        y=("prompt.fewshot_tokens", np.linspace(0, 5_000, 100))), 5)
    print(f"savings grid 100 x 100: {grid_s * 1e3:8.1f} ms   goal < 100 ms: "
          f"{verdict(grid_s < 0.1)}")

    # 3. one simulate
    single = [best_of(lambda: simulate(scenario), 1) for _ in range(200)]
    median = statistics.median(single)
    print(f"one simulate() (median of 200): {median * 1e3:8.2f} ms   goal < 5 ms: "
          f"{verdict(median < 0.005)}")


if __name__ == "__main__":
    main()
