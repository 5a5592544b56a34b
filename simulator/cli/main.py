"""The ``ftroi`` command line: token counts, training-set analysis, prices, simulations.

Every command exits 0 on success and 2 on bad input, with a one-line message on stderr
and no traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path
from typing import Any

import pandas as pd

import pricing
from pricing import PriceError

from ..core.allocator import keep_freed_memory
from ..core.errors import InputError
from ..core.limits import MAX_TEXT_CHARS, is_panic
from ..core.wording import is_missing, printable
from ..model import throughput
from ..model.lifecycle import add_months, closings
from ..tokens import tokens
from .options import add_prices_option, price_table

EXIT_OK = 0
EXIT_BAD_INPUT = 2
MAX_ERRORS_SHOWN = 50


def _read_text(path: str) -> str:
    """The text of ``path`` ('-': standard input), read no further than one character past
    :data:`~simulator.core.limits.MAX_TEXT_CHARS` (the counter refuses longer texts)."""
    where = "standard input" if path == "-" else path
    try:
        if path == "-":
            stream = getattr(sys.stdin, "buffer", None)
            if stream is None:          # a text stream (tests): its text as it is
                text = sys.stdin.read(MAX_TEXT_CHARS + 1)
            else:
                text = _decoded_prefix(stream.read(4 * (MAX_TEXT_CHARS + 1)), where)
        else:
            with open(path, encoding="utf-8") as fh:
                text = fh.read(MAX_TEXT_CHARS + 1)
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except UnicodeDecodeError as exc:
        raise InputError(f"{where}: not UTF-8 text (byte {exc.start})") from None
    except IsADirectoryError:
        raise InputError(f"{path}: is a directory, not a file") from None
    nul = text.find("\x00")
    if nul >= 0:
        raise InputError(f"{where}: a binary file, not text (a NUL byte at character {nul:,})")
    return text[:MAX_TEXT_CHARS + 1]


def _decoded_prefix(data: bytes, where: str) -> str:
    """UTF-8 ``data`` as text; a character cut at the end of the read is left out."""
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start >= len(data) - 3 and exc.reason == "unexpected end of data":
            return data[:exc.start].decode("utf-8")
        raise


def _dataset_file(path: str) -> None:
    """Refuse a path that is not a readable, non-empty file, with one line saying why."""
    p = Path(path)
    if p.is_dir():
        raise InputError(f"{path}: is a directory, not a file (give the .jsonl file inside it)")
    if not p.exists():
        raise InputError(f"{path}: no such file")
    with p.open("rb") as fh:
        while chunk := fh.read(1 << 16):
            if chunk.strip():
                return
    raise InputError(f"{path}: the file is empty: no training examples")


def cmd_tokens(args: argparse.Namespace) -> int:
    """Count the tokens of a text file (or standard input) for a model."""
    text = _read_text(args.file)
    count = tokens.count_tokens(text, args.model)
    tok = tokens.tokenizer_for(args.model)
    if count.exact:
        print(f"{int(count)} tokens ({args.model}, {tok.encoding}, exact)")
    else:
        print(f"~{int(count)} tokens ({args.model}, estimate, range {count.low}–{count.high}): "
              f"{count.note}")
    return EXIT_OK


def training_costs(report: tokens.DatasetReport, table: pricing.PriceTable) -> pd.DataFrame:
    """Cost of one training run on ``report``'s examples under every offering for its model.

    Each offering applies its own per-example token limit; the run costs
    ``billed_tokens / 1e6 × train_usd_per_mtok``, never less than the offering's minimum
    charge [USD]. Offerings billed per hour are listed without a token-based cost.
    """
    rows = []
    for offer in table.finetune_offerings(report.model):
        counts = report.token_counts
        if offer.max_tokens_per_example:
            counts = counts.clip(max=offer.max_tokens_per_example)
        billed = int(counts.sum()) * report.epochs
        if offer.train_usd_per_mtok is not None:
            cost = max(billed / 1e6 * offer.train_usd_per_mtok, offer.min_charge_usd)
            rate = f"{offer.train_usd_per_mtok:g} USD/1M tok"
        else:
            cost = float("nan")
            rate = f"{offer.train_usd_per_hour:g} USD/hour (not token-based)"
        rows.append({"provider": offer.provider, "base_model": offer.model,
                     "billed_training_tokens": billed, "training_rate": rate,
                     "training_cost_usd": round(cost, 2),
                     "source_url": offer.source_url, "checked_on": offer.checked_on})
    return pd.DataFrame(rows)


def cmd_dataset(args: argparse.Namespace) -> int:
    """Validate a fine-tuning JSONL, price a training run on it and what its data costs from
    each source (people, a teacher model, the logs)."""
    limit = "model" if args.max_tokens_per_example is None else args.max_tokens_per_example
    epochs = "auto" if args.epochs == "auto" else _positive_int(args.epochs, "--epochs")
    if args.file != "-":
        _dataset_file(args.file)
    source = sys.stdin if args.file == "-" else args.file
    report = tokens.analyze_dataset(source, args.model, epochs=epochs,
                                    max_tokens_per_example=limit)
    if not report.exact:
        print(f"note: {report.note}")
    summary = report.summary()
    width = max(len(k) for k in summary)
    for key, value in summary.items():
        print(f"{key:<{width}}  {value}")
    if report.over_limit_lines:
        shown = ", ".join(map(str, report.over_limit_lines[:20]))
        print(f"examples over the {report.max_tokens_per_example}-token limit (lines): {shown}"
              + (" …" if len(report.over_limit_lines) > 20 else ""))
    if report.n_examples:
        table = price_table(args)
        costs = training_costs(report, table)
        if costs.empty:
            print(f"\nno fine-tuning offering in the price table for {args.model}")
        else:
            print("\ntraining cost of one run:")
            print(costs.to_string(index=False))
            for note in closing_notes(table, zip(costs["provider"], costs["base_model"]),
                                      date.today()):
                print(note)
        if args.file != "-":
            from .data import print_data_costs

            print_data_costs(args, args.file, report.n_examples, table)
    if report.n_errors:
        print(f"\n{report.n_errors} bad line(s):")
        for issue in report.errors[:MAX_ERRORS_SHOWN]:
            print(f"  {issue}")
        if report.n_errors > MAX_ERRORS_SHOWN:
            print(f"  … and {report.n_errors - MAX_ERRORS_SHOWN} more")
        raise InputError(f"{args.file}: {report.n_errors} bad line(s), first at line "
                         f"{report.errors[0].line}")
    return EXIT_OK


def cmd_prices(args: argparse.Namespace) -> int:
    """Print the price table with sources; fetch the latest genai-prices data (``--update``)."""
    if args.update:
        return _update_prices()
    table = price_table(args)
    if args.closing or args.within is not None:
        return _print_closing(table, args)
    info = pricing.genai.snapshot_info()
    if args.provider:
        known = sorted({str(p) for kind in ("finetune", "inference", "gpus", "batch")
                        for p in table.frame(kind).get("provider", pd.Series(dtype=str))
                        .dropna()} | set(table.inference_providers()))
        if args.provider.lower() not in known:
            raise InputError(f"--provider: no provider {args.provider!r} in the price table; "
                             f"known: {', '.join(known)}")
    if args.model:
        rates = table.inference_rates(args.model, provider=args.provider)
        for key, value in rates.__dict__.items():
            if key == "lifecycle":
                print(_wrapped("lifecycle", lifecycle_words(value, date.today())))
                continue
            print(_wrapped(key, "" if is_missing(value) else value))
        others = [p for p in table.inference_hosts(args.model) if p != rates.provider]
        if others:
            print(f"{'other providers':<26}  {', '.join(others)} (--provider NAME)")
        return EXIT_OK
    if getattr(args, "gpus", False):
        return _print_gpu_replicas(table)
    if args.list:
        rows = []
        for prov, model in table.inference_offers():
            if args.provider and prov != args.provider.lower():
                continue
            r = table.inference_rates(model, provider=prov)
            rows.append({"provider": prov, "model": model, "input": r.input_usd_per_mtok,
                         "cached_input": r.cached_input_usd_per_mtok,
                         "output": r.output_usd_per_mtok, "tier": r.tier})
        print(f"== inference models that price ({len(rows)}; USD per 1M tokens; "
              f"{info.label}) ==")
        print(fit_table(pd.DataFrame(rows), wide=args.wide))
        return EXIT_OK
    print(f"genai-prices data: {info.label}"
          + (f" ({info.path})" if info.path else "; ftroi prices --update fetches the latest"))
    print()
    kinds = ["finetune"] if args.finetune else ["finetune", "inference", "gpus", "batch",
                                                  "lifecycle"]
    with pd.option_context("display.max_colwidth", 60, "display.width", 250):
        for kind in kinds:
            frame = table.frame(kind).drop(columns=["comment"])
            if args.provider and "provider" in frame:
                frame = frame[frame["provider"] == args.provider.lower()]
            filled = []
            if kind == "finetune":
                frame, filled = _example_limits(frame)
                today = date.today()
                lives = [table.offering_lifecycle(prov, model)
                         for prov, model in zip(frame["provider"], frame["base_model"])]
                if args.wide:
                    frame.insert(3, "lifecycle", [life.badge(today) or "open" for life in lives])
                else:
                    frame.insert(3, "closes from", [closes_from(life, today) for life in lives])
            print(f"== {kind} ({len(frame)} rows) ==")
            print(fit_table(_display(frame), wide=args.wide) if len(frame) else "(none)")
            if kind == "finetune" and not args.wide:
                for note in closing_notes(table, zip(frame["provider"], frame["base_model"]),
                                          date.today()):
                    print(note)
            if filled:
                print("* max_tokens_per_example not listed for this offering: the model's "
                      "limit\n  from another offering, as ftroi dataset applies it")
            print()
    return EXIT_OK


def _print_gpu_replicas(table: pricing.PriceTable) -> int:
    """``ftroi prices --gpus``: per GPU type and model-size band, the GPUs one serving replica
    needs (sized for the band's largest model) and what a replica costs an hour."""
    frame = pd.DataFrame(throughput.replica_frame(table)).rename(columns={
        "memory_gb": "GB", "params_b": "size (B)", "gpus_bf16": "bf16", "gpus_fp8": "fp8",
        "gpus_fp4": "fp4", "tokens_per_s_per_gpu": "tok/s/GPU", "gpu_usd_per_hour": "$/h GPU",
        "replica_usd_per_hour_bf16": "$/h replica"})
    frame["GB"] = [f"{x:g}" for x in frame["GB"]]
    print(f"GPUs per serving replica ({len(frame)} rows): the fewest of 1, 2, 4, 8 that hold the "
          f"size band's")
    print(f"largest model at bf16, fp8 or fp4 (weights + "
          f"{throughput.DEFAULT_KV_RESERVE_SHARE:.0%} KV reserve in "
          f"{throughput.GPU_MEMORY_UTILIZATION:.0%} of their memory).")
    print("'-': not even 8 GPUs hold it. tok/s/GPU: published serving throughput (input + "
          "output);")
    print("$/h replica: the bf16 replica at the cheapest GPU price.")
    print(fit_table(frame))
    return EXIT_OK


CLOSING_DEFAULT_MONTHS = 12
"""Months ``ftroi prices --closing`` looks ahead without ``--within``."""


def _print_closing(table: pricing.PriceTable, args: argparse.Namespace) -> int:
    """``ftroi prices --closing [--within N] [--as-of DATE]``: what the lifecycle table says
    closes within N months, by date, in a table under 100 columns with numbered sources."""
    within = CLOSING_DEFAULT_MONTHS if args.within is None else _positive_int(
        args.within, "--within")
    start = _as_of(args.as_of) if args.as_of else date.today()
    rows = closings(table.lifecycle, start, within)
    if args.provider:
        rows = [c for c in rows if c.provider == args.provider.lower()]
    end = add_months(start, within)
    print(f"Closings after {start.isoformat()} up to {end.isoformat()} ({within} months): "
          f"{len(rows)}.")
    print("'from' is the first day without the service; src numbers the sources below.")
    if not rows:
        return EXIT_OK
    print(closing_table(rows))
    return EXIT_OK


def closing_table(rows) -> str:
    """The closing list as fixed-width text under 100 columns: one line per closing, its
    source as a number, the numbered sources below."""
    urls: dict[str, int] = {}
    widths = (("from", 10), ("provider", 15), ("model / offering", 24), ("kind", 16),
              ("successor", 18), ("src", 4))
    def cell(text: str, width: int) -> str:
        return text if len(text) <= width else text[:width - 1] + "…"
    lines = ["  ".join(f"{h:<{w}}" for h, w in widths).rstrip(),
             "  ".join("-" * w for _, w in widths)]
    for c in rows:
        n = urls.setdefault(c.source_url, len(urls) + 1)
        succ = c.successor.split("/", 1)[1] if c.provider and c.successor.startswith(
            c.provider + "/") else c.successor
        values = (c.day.isoformat(), c.provider, c.model, c.kind, succ or "-", f"[{n}]")
        lines.append("  ".join(f"{cell(v, w):<{w}}" for v, (_, w) in zip(values, widths))
                     .rstrip())
    lines.append("")
    lines += [f"[{n}] {url}" for url, n in urls.items()]
    return "\n".join(lines)


def _as_of(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise InputError(f"--as-of: {text!r} is not a date (expected YYYY-MM-DD)") from None


def _update_prices() -> int:
    """Fetch the latest genai-prices data into the user cache (the only network access)."""
    import httpx2

    try:
        info = pricing.genai.update()
    except (OSError, ValueError, TypeError, httpx2.HTTPError) as exc:
        raise InputError(f"--update: could not fetch the genai-prices data "
                         f"({type(exc).__name__}: {exc}); the prices in use are unchanged") \
            from None
    n = len(pricing.default_table().inference_offers())
    print(f"{info.label}: {n} priced models, saved to {info.path}; later runs use it")
    return EXIT_OK


def _example_limits(frame: pd.DataFrame) -> tuple[pd.DataFrame, list[int]]:
    """Fill an empty ``max_tokens_per_example`` with the limit ``ftroi dataset`` applies
    for the model (marked ``*``); return the frame and the filled row positions."""
    frame = frame.reset_index(drop=True).copy()
    column = frame["max_tokens_per_example"].astype(object)
    filled = []
    for i, (model, value) in enumerate(zip(frame["base_model"], column)):
        if is_missing(value):
            limit = tokens.model_example_limit(str(model))
            if limit:
                column[i] = f"{limit}*"
                filled.append(i)
        else:
            column[i] = str(int(value))
    frame["max_tokens_per_example"] = column
    return frame, filled


TABLE_WIDTH = 100
"""Columns a command-line table fits in (``--wide`` lifts it)."""
CELL_CHARS = 24
"""Characters of a text cell in a fitted table (longer ones end in an ellipsis)."""


def fit_table(frame: pd.DataFrame, *, wide: bool = False, width: int = TABLE_WIDTH) -> str:
    """``frame`` as fixed-width text within ``width`` columns: long text cells cut to
    :data:`CELL_CHARS` characters, then columns left out from the right until it fits, with a
    line naming them (``--wide`` prints every column in full)."""
    if wide:
        with pd.option_context("display.max_colwidth", None, "display.width", 10_000,
                               "display.max_rows", None, "display.max_columns", None):
            return frame.to_string(index=False)

    def cut(value, chars=CELL_CHARS):
        text = value if isinstance(value, str) else None
        if text is None or len(text) <= chars:
            return value
        if "/" in text and " " not in text and not text.startswith("http"):  # a model path
            text = "…/" + text.rsplit("/", 1)[1]
        return text if len(text) <= chars else text[:chars - 1] + "…"

    # a lifecycle says when a road closes: it keeps both of its dates
    shown = frame.apply(lambda col: col.map(
        lambda v: cut(v, 2 * CELL_CHARS if col.name == "lifecycle" else CELL_CHARS))
    ) if len(frame) else frame
    empty = [c for c in shown.columns
             if len(shown) and all(v == "" or is_missing(v) for v in shown[c])]
    shown = shown.drop(columns=empty)
    shown = shown[sorted(shown.columns, key=lambda c: _column_rank(str(c)))]
    shown.columns = [short_header(str(c)) for c in shown.columns]
    columns = list(shown.columns)
    left_out: list[str] = []
    while True:
        with pd.option_context("display.width", 10_000, "display.max_columns", None,
                               "display.max_rows", None):
            text = shown[columns].to_string(index=False)
        if max(map(len, text.splitlines()), default=0) <= width or len(columns) <= 2:
            break
        left_out.insert(0, columns.pop())
    if left_out:
        import textwrap

        note = (f"(left out to fit {width} columns: {', '.join(left_out)}; --wide shows every "
                f"column)")
        text += "\n" + "\n".join(textwrap.wrap(note, width))
    return text


SHORT_HEADERS = (("_usd_per_mtok", " $/1M"), ("_usd_per_hour", " $/h"),
                 ("_usd_per_month", " $/month"), ("_usd_per_gb_month", " $/GB-month"),
                 ("cached_input", "cached"), ("max_tokens_per_example", "max tokens/ex"),
                 ("effective_from", "from"), ("effective_until", "until"),
                 ("batch_discount", "batch disc."), ("min_charge_usd", "min charge $"))
"""Column names as a fitted table heads them (``--wide`` keeps the file's names)."""


def short_header(column: str) -> str:
    """``train_usd_per_mtok`` -> ``train $/1M``: the units kept, the width saved."""
    for long, short in SHORT_HEADERS:
        column = column.replace(long, short)
    return column


IDENTITY_COLUMNS = ("provider", "model", "base_model", "gpu", "kind", "method", "status")


def _column_rank(column: str) -> tuple[int, int]:
    """Order of columns in a fitted table: what a row is, its main prices, its lifecycle,
    its other prices, then the rest (sources last), so the columns left out to fit are the
    least needed."""
    if column in IDENTITY_COLUMNS:
        return 0, IDENTITY_COLUMNS.index(column)
    if column == "closes from":
        return 0, len(IDENTITY_COLUMNS)
    main = ("train_usd_per_mtok", "input", "output", "hosting_usd_per_hour", "usd_per_hour")
    first = [i for i, m in enumerate(main) if column.startswith(m)]
    if first:
        return 1, first[0]
    if column in ("lifecycle", "training_ends", "serving_ends", "successor", "tier"):
        return 2, 0
    if "usd" in column or column in ("cached_input", "batch_discount"):
        return 3, 0
    if column in ("source_url", "checked_on", "comment", "source"):
        return 5, 0
    return 4, 0


def _wrapped(key: str, value, width: int = TABLE_WIDTH) -> str:
    """``key  value`` with a long value wrapped under itself within ``width`` columns."""
    import textwrap

    lines = textwrap.wrap(str(value), width - 28) or [""]
    return "\n".join(f"{key if i == 0 else '':<26}  {line}" for i, line in enumerate(lines))


def lifecycle_words(life, today: date) -> str:
    """A model's lifecycle facts in words, never a Python repr: its status and dates on
    ``today``'s calendar (``stops serving from 2027-01-14``), successor and source."""
    badge = life.badge(today) if hasattr(life, "badge") else ""
    parts = [badge or ("no announced end" if life.status == "active" else life.status)]
    if life.successor:
        parts.append(f"successor {life.successor}")
    if life.announced_on:
        parts.append(f"announced {life.announced_on.isoformat()}")
    if life.source_url:
        parts.append(f"source {life.source_url}"
                     + (f", checked {life.checked_on.isoformat()}" if life.checked_on else ""))
    return "; ".join(parts)


def closes_from(life, today: date) -> str:
    """A table cell for an offering's lifecycle: the first day without it (its jobs or its
    serving, whichever ends first), ``retired …`` once gone, empty when nothing is announced."""
    badge = life.badge(today)
    if not badge or badge.startswith("retired") or badge == "deprecated":
        return badge
    return badge.split(", ")[0].rsplit(" ", 1)[-1]


def closing_notes(table: pricing.PriceTable, offerings, today: date) -> list[str]:
    """One line per fine-tuning offering that has an announced end, in dates (``note: openai
    gpt-4.1-mini fine-tuning: no new jobs from 2027-01-06, stops serving from 2027-01-14``):
    a command that prices a closing offering says when it closes."""
    out = []
    for provider, model in dict.fromkeys(offerings):
        badge = table.offering_lifecycle(provider, model).badge(today)
        if badge:
            import textwrap

            out.append("\n".join(textwrap.wrap(f"note: {provider} {model} fine-tuning: {badge}",
                                                TABLE_WIDTH, subsequent_indent="  ")))
    return out


def _display(frame: pd.DataFrame) -> pd.DataFrame:
    """Empty cells for values a row does not have (an empty cell means "not offered"),
    whole numbers without a trailing ``.0``."""
    out = frame.astype(object).copy()
    for col in out.columns:
        out[col] = ["" if is_missing(v) else int(v) if isinstance(v, float) and v.is_integer()
                    and col.endswith(("_tokens", "_per_example")) else v for v in out[col]]
    return out


def _positive_int(text: str, what: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise InputError(f"{what}: expected a whole number, got {text!r}") from None
    if value < 1:
        raise InputError(f"{what}: must be at least 1, got {value}")
    return value


class _Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line on stderr and exit status 2."""

    def error(self, message: str):
        print(f"{self.prog}: error: {message} (see {self.prog} --help)", file=sys.stderr)
        sys.exit(EXIT_BAD_INPUT)


EXAMPLES = """\
examples:
  ftroi tokens prompt.txt --model gpt-6.1-terra    exact tokens with the model's tokenizer
  ftroi dataset train.jsonl --model amazon.nova-micro-v1:0
                                                   check a training file, price its training
  ftroi prices --finetune --provider together      fine-tuning prices of one provider
  ftroi prices --closing --within 24               what closes in the next two years
  ftroi prices --model gpt-6.1-terra               the rates used for one model
  ftroi prices --model llama-3.1-8b-instruct       a bare name: its default provider, and why
  ftroi prices --update                            fetch the latest genai-prices data
  ftroi example > scenario.toml                    a commented scenario to edit
  ftroi simulate scenario.toml --report report.html --csv report
  ftroi simulate scenario.toml --vary workload.requests_per_month=30000:60000:120000
  ftroi evals graded.csv --to-scenario scenario.toml   eval accuracy in, with intervals

--model takes a model id (gpt-6.1-terra, claude-sonnet-4-5, openai/gpt-6-luna, ft:…); --provider a
provider of the price table (openai, azure, google, …). 'ftroi COMMAND --help' lists the
options of each command.
"""


def _version() -> str:
    from importlib import metadata

    try:
        return metadata.version("ftroi")
    except metadata.PackageNotFoundError:
        return "unknown"


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="ftroi", description="Fine-tune or keep prompting? Tokens, prices and total cost.",
        epilog=EXAMPLES, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--version", action="version", version=f"ftroi {_version()}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("tokens", help="count the tokens of a text file ('-' for stdin)")
    p.add_argument("file")
    p.add_argument("--model", required=True,
                   help="model whose tokenizer counts, e.g. gpt-6.1-terra (exact) or "
                        "claude-sonnet-4-5 (an estimate with its range)")
    p.set_defaults(func=cmd_tokens)

    p = sub.add_parser("dataset", help="validate a fine-tuning JSONL and price its training")
    p.add_argument("file")
    p.add_argument("--model", required=True, help="base model to tune, e.g. amazon.nova-micro-v1:0")
    p.add_argument("--epochs", default="auto", help="'auto' (provider rule) or a number")
    p.add_argument("--max-tokens-per-example", type=int, default=None,
                   help="per-example token cap (default: the provider's limit)")
    add_prices_option(p)
    from .data import add_data_options

    add_data_options(p)
    p.set_defaults(func=cmd_dataset)

    p = sub.add_parser("prices", help="show the price table with sources")
    p.add_argument("--provider", help="only this provider's rows, e.g. openai, azure, google")
    p.add_argument("--finetune", action="store_true", help="only fine-tuning offerings")
    p.add_argument("--model", help="show the inference rates resolved for one model (a bare "
                                    "name, provider/model or a provider's own id)")
    p.add_argument("--list", action="store_true",
                   help="list every inference model that prices, with its provider")
    p.add_argument("--gpus", action="store_true",
                   help="GPUs per self-hosted serving replica, per GPU type and model-size "
                        "band, with the replica's hourly price")
    p.add_argument("--wide", action="store_true",
                   help=f"print every column in full (tables fit {TABLE_WIDTH} columns "
                        f"otherwise)")
    p.add_argument("--update", action="store_true",
                   help="fetch the latest genai-prices data into the user cache (network); "
                        "later runs use it")
    p.add_argument("--closing", action="store_true",
                   help="list what the lifecycle table says closes (models, fine-tuning "
                        "training and serving), by date, with the successor and source")
    p.add_argument("--within", metavar="N", default=None,
                   help=f"with --closing: months to look ahead (default "
                        f"{CLOSING_DEFAULT_MONTHS})")
    p.add_argument("--as-of", metavar="DATE", default=None,
                   help="with --closing: the day to look ahead from (default: today)")
    add_prices_option(p)
    p.set_defaults(func=cmd_prices)

    try:
        from . import simulate as cli_simulate
    except ImportError:
        cli_simulate = None
    if cli_simulate is not None:
        cli_simulate.register(sub)
    from . import workload as cli_workload

    cli_workload.register(sub)
    from . import evals as cli_evals

    cli_evals.register(sub)
    return parser


class PrintableStream:
    """A text stream that passes everything written through :func:`~simulator.core.wording.
    printable`: what the command line prints from logs, files and links cannot drive the
    terminal. Everything else is the wrapped stream's."""

    def __init__(self, stream: Any):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(printable(text))
        return len(text)

    def writelines(self, lines: Any) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; return the exit code."""
    keep_freed_memory()  # this process is ours: large arrays reuse freed pages
    parser = build_parser()
    stdout, stderr = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = PrintableStream(stdout), PrintableStream(stderr)
    try:
        args = parser.parse_args(argv)
        try:
            return _run(args)
        finally:
            if warning := pricing.genai.cache_warning():
                print(f"ftroi {args.command}: warning: {warning}", file=sys.stderr)
    finally:
        sys.stdout, sys.stderr = stdout, stderr


def _run(args: argparse.Namespace) -> int:
    """``args.func(args)``, with every failure as one line on stderr and its exit code."""
    try:
        return args.func(args)
    except (InputError, PriceError) as exc:
        print(f"ftroi {args.command}: error: {_line_breaks_shown(exc)}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        where = f"{exc.filename}: " if exc.filename else ""
        print(f"ftroi {args.command}: error: "
              f"{_line_breaks_shown(where + (exc.strerror or str(exc)).lower())}",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        return 130
    except (RecursionError, MemoryError):
        print(f"ftroi {args.command}: error: the input is too large or too deeply nested to "
              f"process (see docs/limits.md)", file=sys.stderr)
        return EXIT_BAD_INPUT
    except Exception as exc:  # noqa: BLE001 - a library error the checks missed: one line
        print(f"ftroi {args.command}: error: {_one_line(exc)} (unexpected; please report it)",
              file=sys.stderr)
        return EXIT_BAD_INPUT
    except BaseException as exc:  # tiktoken's Rust panic is a BaseException
        if not is_panic(exc):
            raise
        print(f"ftroi {args.command}: error: the tokenizer failed: {_one_line(exc)}",
              file=sys.stderr)
        return EXIT_BAD_INPUT


def _line_breaks_shown(text: object) -> str:
    """``text`` on one line: a line break it holds (from a value the user gave, such as a
    file name) shown as ``\\n`` or ``\\r``, so that a refusal stays one line.

    >>> _line_breaks_shown("a\\nb.txt: no such file")
    'a\\\\nb.txt: no such file'
    """
    return str(text).replace("\r", "\\r").replace("\n", "\\n")


def _one_line(exc: BaseException) -> str:
    """``exc`` as one short line: its type and the first line of its message."""
    text = (str(exc).strip().splitlines() or [""])[0]
    line = f"{type(exc).__name__}: {text}" if text else type(exc).__name__
    return line if len(line) <= 200 else line[:199] + "…"


if __name__ == "__main__":
    sys.exit(main())
