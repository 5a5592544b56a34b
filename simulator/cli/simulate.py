"""The ``ftroi example`` and ``ftroi simulate`` subcommands.

:func:`register` adds them to the subparsers of ``simulator.cli.main``. Errors the user can fix
(:class:`~simulator.core.errors.InputError`, :class:`pricing.PriceError`, ``OSError``) propagate
to ``simulator.cli.main.main``, which prints them as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from ..core.errors import InputError
from ..core.wording import SINGLE_ESTIMATE_CLI, SINGLE_ESTIMATE_PYTHON, compared_line

EXIT_OK = 0


def cmd_example(args: argparse.Namespace) -> int:
    """Print the commented starting scenario (TOML)."""
    from ..model.scenario import example_scenario_text

    sys.stdout.write(example_scenario_text())
    return EXIT_OK


def cmd_simulate(args: argparse.Namespace) -> int:
    """Simulate a scenario file and print the summary; write the CSV sheets (``--csv``), a
    workbook (``--xlsx``) and the HTML report (``--report``) when asked."""
    from dataclasses import replace

    from ..model.engine import simulate
    from ..model.scenario import load_scenario

    scenario = load_scenario(args.scenario)
    if args.set:
        scenario = scenario.with_values(**dict(parse_set(v) for v in args.set))
    if args.as_of:
        try:
            as_of = date.fromisoformat(args.as_of)
        except ValueError:
            raise InputError(f"--as-of: expected a date YYYY-MM-DD, got {args.as_of!r}") \
                from None
        try:
            scenario = replace(scenario, as_of=as_of)
        except InputError as exc:
            raise InputError("--as-of" + str(exc).removeprefix("as_of")) from None
    from .options import price_table

    table = price_table(args) if args.prices else None
    result = simulate(scenario, table=table)
    mc = None
    if args.vary:
        from ..model.uncertainty import monte_carlo

        mc = monte_carlo(result, dict(parse_vary(v) for v in args.vary), n=args.draws,
                         seed=args.seed)   # on the result's own price table
    if scenario.title:
        print(scenario.title)
    print(compared_line(scenario))
    print()
    print(result.table())
    print()
    print(result.explain(mc).replace(SINGLE_ESTIMATE_PYTHON, SINGLE_ESTIMATE_CLI))
    for note in result.notes:
        print(f"note: {note}")
    if mc is not None:
        from ..reports.export import mc_summary_sheet

        print()
        print(f"Monte Carlo, {mc.n:,} draws (seed {args.seed}):")
        print(mc_summary_sheet(mc).drop(columns="draws")
              .to_string(index=False, float_format=lambda x: f"{x:,.2f}"))
    written = []
    if args.csv:
        written += _writing("--csv", args.csv, lambda: list(
            result.to_csv(args.csv, mc, overwrite=args.force).values()))
    if args.xlsx:
        from ..reports.export import write_xlsx_report

        written += _writing("--xlsx", args.xlsx, lambda: [
            write_xlsx_report(result, args.xlsx, mc, overwrite=args.force)])
    if args.report:
        from ..reports.html_report import write_html_report

        written += _writing("--report", args.report,
                            lambda: [write_html_report(result, args.report, mc,
                                                       overwrite=args.force)])
    if written:
        print()
        print("wrote " + ", ".join(str(p) for p in written))
    return EXIT_OK


def _writing(option: str, target: str, write):
    """Run ``write()``; a file-system error becomes one line naming the option and the path."""
    if option != "--csv" and not Path(target).parent.is_dir():
        raise InputError(f"{option}: cannot write {target}: no such file or directory "
                         f"({Path(target).parent})")
    try:
        return write()
    except OSError as exc:
        reason = (exc.strerror or str(exc)).lower()
        raise InputError(f"{option}: cannot write {target}: {reason}") from None


def parse_vary(text: str):
    """``PATH=LOW:MODE:HIGH`` (triangular) or ``PATH=LOW:HIGH`` (uniform)
    -> ``(path, distribution)``."""
    from ..model.uncertainty import Triangular, Uniform

    path, eq, spec = text.partition("=")
    parts = spec.split(":")
    try:
        numbers = [float(x.replace("_", "")) for x in parts]
    except ValueError:
        numbers = []
    if not eq or not path.strip() or len(numbers) not in (2, 3):
        raise InputError(f"--vary: expected FIELD=LOW:HIGH or FIELD=LOW:MODE:HIGH, got {text!r}")
    if len(numbers) == 2:
        return path.strip(), Uniform(low=numbers[0], high=numbers[1])
    return path.strip(), Triangular(low=numbers[0], mode=numbers[1], high=numbers[2])


def parse_set(text: str) -> tuple[str, object]:
    """``FIELD=VALUE`` of ``--set``: a number, ``true``/``false``, or text (a model name)."""
    field, eq, raw = text.partition("=")
    field, raw = field.strip(), raw.strip()
    if not eq or not field or not raw:
        raise InputError(f"--set: expected FIELD=VALUE (e.g. cost_per_error_usd=0.25), got "
                         f"{text!r}")
    if raw.lower() in ("true", "false"):
        return field, raw.lower() == "true"
    try:
        number = float(raw.replace("_", ""))
    except ValueError:
        return field, raw
    return field, int(number) if number.is_integer() and "." not in raw else number


def register(subparsers) -> None:
    """Add ``example`` and ``simulate`` to an argparse subparsers object."""
    p = subparsers.add_parser("example", help="print a commented starting scenario (TOML)")
    p.set_defaults(func=cmd_example)

    p = subparsers.add_parser("simulate", help="price every option of a scenario file")
    p.add_argument("scenario", help="scenario file (.toml or .json)")
    p.add_argument("--csv", metavar="DIR",
                   help="also write the report as CSV files into DIR: summary, monthly (with the "
                        "calendar month), monthly_wide (month x option, cumulative), prices, "
                        "scenario.json, and the Monte Carlo sheets with --vary")
    p.add_argument("--report", metavar="FILE.html",
                   help="also write one self-contained HTML report (the answer, every chart, "
                        "the summary and the assumptions with sources; opens offline)")
    p.add_argument("--xlsx", metavar="FILE.xlsx",
                   help="also write the CSV sheets as one workbook (needs the xlsx extra: "
                        "pip install -e '.[xlsx]')")
    p.add_argument("--force", action="store_true",
                   help="replace report files that already exist (without it, nothing is "
                        "written over an existing file)")
    p.add_argument("--as-of", metavar="DATE", help="use the prices in force on this date")
    p.add_argument("--vary", action="append", metavar="FIELD=LOW:MODE:HIGH",
                   help="run a Monte Carlo with this field drawn from a triangular "
                        "(LOW:MODE:HIGH) or uniform (LOW:HIGH) distribution; repeatable, e.g. "
                        "--vary workload.requests_per_month=30000:60000:120000")
    p.add_argument("--set", action="append", metavar="FIELD=VALUE",
                   help="change one field of the scenario for this run; repeatable, e.g. "
                        "--set cost_per_error_usd=0.25 --set prompt.already_built=false")
    p.add_argument("--draws", type=int, default=10_000, help="Monte Carlo draws (default 10000)")
    p.add_argument("--seed", type=int, default=0, help="Monte Carlo seed (default 0)")
    from .options import add_prices_option

    add_prices_option(p)
    p.set_defaults(func=cmd_simulate)
