"""The ``ftroi example`` and ``ftroi simulate`` subcommands.

:func:`register` adds them to the subparsers of ``simulator.cli``. Errors the user can fix
(:class:`~simulator.errors.InputError`, :class:`pricing.PriceError`, ``OSError``) propagate
to ``simulator.cli.main``, which prints them as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date

from .errors import InputError

EXIT_OK = 0


def cmd_example(args: argparse.Namespace) -> int:
    """Print the commented starting scenario (TOML)."""
    from .scenario import example_scenario_text

    sys.stdout.write(example_scenario_text())
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate a scenario file and print the summary (and write CSVs with ``--csv``)."""
    from dataclasses import replace

    from .engine import simulate
    from .scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.as_of:
        try:
            scenario = replace(scenario, as_of=date.fromisoformat(args.as_of))
        except ValueError:
            raise InputError(f"--as-of: expected a date YYYY-MM-DD, got {args.as_of!r}") \
                from None
    result = simulate(scenario)
    if scenario.title:
        print(scenario.title)
        print()
    print(result)
    if args.csv:
        paths = result.to_csv(args.csv)
        print()
        print("wrote " + ", ".join(str(p) for p in paths.values()))
    return EXIT_OK


def register(subparsers) -> None:
    """Add ``example`` and ``simulate`` to an argparse subparsers object."""
    p = subparsers.add_parser("example", help="print a commented starting scenario (TOML)")
    p.set_defaults(func=cmd_example)

    p = subparsers.add_parser("simulate", help="price every option of a scenario file")
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--csv", metavar="DIR",
                   help="also write monthly.csv, summary.csv, prices.csv and scenario.json")
    p.add_argument("--as-of", metavar="DATE", help="use the prices in force on this date")
    p.set_defaults(func=cmd_simulate)
