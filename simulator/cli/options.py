"""Options and helpers shared by the ftroi subcommands, so that no subcommand imports main.py
(which imports every subcommand)."""

from __future__ import annotations

import argparse

import pricing


def price_table(args: argparse.Namespace) -> pricing.PriceTable:
    """The shipped price table with the ``--prices`` files merged in."""
    files = getattr(args, "prices", None)
    return pricing.load_price_files(files) if files else pricing.default_table()


def add_prices_option(parser: argparse.ArgumentParser) -> None:
    """``--prices FILE…``: override files merged into the shipped table."""
    parser.add_argument("--prices", nargs="+", action="extend", metavar="FILE",
                        help="your price files (CSV, same columns as the shipped files; the "
                             "kind is told by the header; see README, Prices)")
