"""The ``ftroi workload`` subcommand: a workload measured from request logs.

:func:`register` adds it to the subparsers of ``simulator.cli.main``. Errors the user can fix
propagate to ``simulator.cli.main.main``, which prints them as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import math
import sys
import time
from typing import IO

from ..core.errors import InputError
from ..core.limits import MAX_CHUNK_MB, check_count

EXIT_OK = 0
MAX_ERRORS_SHOWN = 50


class StderrProgress:
    """A one-line progress display on a terminal: ``tqdm`` when installed, else plain text.

    Called as ``progress(done_bytes, total_bytes)``; :meth:`close` ends the line.
    """

    def __init__(self, stream: IO[str] | None = None, label: str = "reading"):
        self.stream, self.label = sys.stderr if stream is None else stream, label
        self.bar = None
        self.started = time.monotonic()
        self.shown = False

    def __call__(self, done: int, total: int) -> None:
        try:
            from tqdm import tqdm
        except ImportError:
            tqdm = None
        if tqdm is not None:
            if self.bar is None:
                self.bar = tqdm(total=total, unit="B", unit_scale=True, desc=self.label,
                                file=self.stream, leave=False)
            self.bar.update(done - self.bar.n)
            return
        seconds = time.monotonic() - self.started
        rate = done / seconds / 1e6 if seconds > 0 else 0.0
        self.stream.write(f"\r{self.label}: {100 * done / max(total, 1):3.0f}% of "
                          f"{total / 1e6:,.0f} MB ({rate:,.0f} MB/s)")
        self.stream.flush()
        self.shown = True

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
        elif self.shown:
            self.stream.write("\n")
            self.stream.flush()


def _percent(x: float | None) -> str:
    return "not measured" if x is None else f"{100 * x:.1f}%"


def print_report(report, out: IO[str] | None = None) -> None:
    """The report in words and tables (on standard output by default)."""
    out = sys.stdout if out is None else out

    def say(text: str = "") -> None:
        print(text, file=out)

    kind = "exact" if report.exact else "estimate"
    say(f"model       {report.model} ({report.encoding}, {kind})")
    for name, fmt in report.formats.items():
        say(f"file        {name} ({fmt})")
    say(f"requests    {report.n_requests:,} valid of {report.n_lines:,} lines; "
        f"{report.n_errors:,} bad line(s) left out")
    if report.first_time is not None:
        say(f"period      {report.first_time:%Y-%m-%d %H:%M} to "
            f"{report.last_time:%Y-%m-%d %H:%M} UTC")
    if len(report.months):
        say()
        say("requests per calendar month (UTC):")
        table = report.months.assign(growth=report.months.growth.map(
            lambda g: "" if math.isnan(g) else f"{100 * g:+.1f}%"))
        say(table.to_string(index=False))
    if report.requests_per_month is not None:
        say(f"volume      {report.requests_per_month:,.0f} requests/month; growth "
            f"{_percent(report.growth_per_month)} a month")
    table = report.token_table()
    if len(table):
        say()
        say(f"tokens per request ({report.input_source}):")
        say(table.to_string(index=False, float_format=lambda x: f"{x:,.1f}"))
    if report.input_tokens is not None:
        say()
        roles = ", ".join(m.get("role", "?") for m in report.static_prefix) or "none"
        say(f"static prefix  {len(report.static_prefix)} message(s) shared by every request "
            f"({roles}): system {report.system_prompt_tokens:,} + few-shot "
            f"{report.fewshot_tokens:,} tokens; chat format {report.chat_overhead_tokens:,.1f} "
            f"tokens/request")
        say(f"static share   {_percent(report.static_share)} of the prompt (what prompt "
            f"caching can discount)")
    if report.cached_share is not None:
        say(f"cached share   {_percent(report.cached_share)} of the static prefix billed as "
            f"read from the prompt cache, {_percent(report.cache_write_share)} as written to it")
    if report.reasoning_tokens is not None:
        say(f"reasoning      {report.reasoning_tokens.mean:,.1f} hidden tokens/request (billed "
            f"as output; kept apart from the output above)")
    for note in report.notes:
        say(f"note: {note}")
    if report.n_errors:
        say()
        say(f"{report.n_errors:,} bad line(s), left out:")
        for issue in report.errors[:MAX_ERRORS_SHOWN]:
            say(f"  {issue}")
        if report.n_errors > MAX_ERRORS_SHOWN:
            say(f"  … and {report.n_errors - MAX_ERRORS_SHOWN:,} more")


def _chunk_bytes(chunk_mb: float) -> int:
    """``--chunk-mb`` in bytes; InputError outside (0, :data:`~simulator.core.limits.MAX_CHUNK_MB`]."""
    if not (math.isfinite(chunk_mb) and 0 < chunk_mb <= MAX_CHUNK_MB) \
            or int(chunk_mb * 2**20) < 1:
        raise InputError(f"--chunk-mb: {chunk_mb:g} is not a size ftroi reads in: from 1e-06 "
                         f"to {MAX_CHUNK_MB:,} megabytes")
    return int(chunk_mb * 2**20)


def cmd_workload(args: argparse.Namespace) -> int:
    """Measure the workload in request logs; optionally write it into a scenario."""
    from pathlib import Path

    from ..core.files import write_files
    from ..model.scenario import load_scenario, save_scenario
    from ..traffic.workload import check_sample_rate, from_logs, max_workers

    if args.scheduler is not None and args.engine != "dask":
        raise InputError("--scheduler: only with --engine dask")
    check_sample_rate(args.sample_rate, "--sample-rate")
    progress = None
    if not args.no_progress and sys.stderr.isatty():
        progress = StderrProgress(sys.stderr, "ftroi workload")
    chunk_bytes = None if args.chunk_mb is None else _chunk_bytes(args.chunk_mb)
    if args.workers is not None:
        check_count("--workers", args.workers, lo=1, hi=max_workers())
    try:
        report = from_logs(args.files, format=args.format, model=args.model,
                           workers=args.workers, chunk_bytes=chunk_bytes,
                           progress=progress, engine=args.engine, scheduler=args.scheduler,
                           sample_rate=args.sample_rate)
    finally:
        if progress is not None:
            progress.close()
    print_report(report)
    if report.n_requests == 0:
        raise InputError(f"no valid request in {', '.join(report.files)}"
                         + (f" ({report.n_errors:,} bad lines)" if report.n_errors else ""))
    if args.to_scenario:
        base = load_scenario(args.base) if args.base else None
        base_is_toml = args.base is None or Path(args.base).suffix.lower() == ".toml"
        if Path(args.to_scenario).suffix.lower() == ".toml" and base_is_toml:
            # The base's own text, values edited in place: its comments are kept.
            text = report.scenario_toml(
                Path(args.base).read_text(encoding="utf-8") if args.base else None)
            write_files({Path(args.to_scenario): text}, overwrite=args.force,
                        what="scenario file")
        else:
            save_scenario(report.to_scenario(base), args.to_scenario, overwrite=args.force,
                          header=report.scenario_comment())
        print()
        print(f"wrote {args.to_scenario} (run it: ftroi simulate {args.to_scenario})")
    return EXIT_OK


def register(subparsers) -> None:
    """Add ``workload`` to an argparse subparsers object."""
    from ..traffic.logscan import FORMATS

    p = subparsers.add_parser(
        "workload", help="measure requests, tokens and the static prompt in request logs")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="request logs: chat JSONL, Batch API input/output JSONL, usage CSV")
    p.add_argument("--format", default="auto", choices=("auto", *FORMATS),
                   help="log shape (default: recognised per file and line)")
    p.add_argument("--model", help="tokenizer for prompt text (default: the logged model)")
    p.add_argument("--to-scenario", metavar="PATH",
                   help="write a scenario (.toml or .json) with the measured workload")
    p.add_argument("--force", action="store_true",
                   help="replace the --to-scenario file if it exists (refused otherwise)")
    p.add_argument("--base", metavar="SCENARIO",
                   help="scenario to start from with --to-scenario (default: the example)")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: one per core)")
    p.add_argument("--chunk-mb", type=float, default=None,
                   help="megabytes per worker task (default: 8 tasks per worker, 1 to 16 MB)")
    p.add_argument("--engine", default="processes", choices=("processes", "dask"),
                   help="where ranges are read: worker processes here (default), or a Dask "
                        'cluster (pip install "ftroi[dask]")')
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="with --engine dask: the scheduler, e.g. tcp://host:8786 (default: a "
                        "local cluster, one process per core)")
    p.add_argument("--sample-rate", type=float, default=1.0, metavar="RATE",
                   help="the share of all requests the logs hold, in (0, 1]: 0.01 scales a 1%% "
                        "sample to full volume (default: 1, every request)")
    p.add_argument("--no-progress", action="store_true", help="no progress line on stderr")
    p.set_defaults(func=cmd_workload)
