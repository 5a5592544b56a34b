"""Schemas of the price files and a strict CSV reader for them.

Every price file is a CSV with units in its column names. The reader refuses an unknown
column, a missing required column, a value of the wrong type, a negative price and a
duplicate key, and every message names the file, the row and the column.

Conventions (the same as the shipped files):

* an empty cell means "not offered / not applicable"; ``0`` means free;
* dates are ISO ``YYYY-MM-DD``;
* one row per key and ``effective_from`` date: a price change is a new row;
* ``effective_until`` (optional) is the **last day** a row's price applies. A price with an
  announced end (an introductory window) carries it; the scheduled price after it is the next
  dated row of the same key, whose ``effective_from`` must be the day after. The reader
  refuses an end before the start, and two rows of one key whose windows overlap or leave a
  gap after an end date.
"""

from __future__ import annotations

import csv
import io
import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from typing import Any


class PriceError(ValueError):
    """A price file or a price lookup is wrong; the message says where and why."""


class UnknownModelError(PriceError, LookupError):
    """No price is known for a model, provider or GPU; the message lists the closest names."""


@dataclass(frozen=True, kw_only=True)
class Column:
    """One column of a price file: its name, how to parse a cell, and whether it may be empty."""

    name: str
    parse: Callable[[str], Any]
    required: bool = False
    default: Any = None


def _text(cell: str) -> str:
    return cell.strip()


_URL_LIKE = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:\S*")


def _source(cell: str) -> str:
    """A row's source: an http(s) address or plain words ("our contract, 2026-03"). Any other
    address (``javascript:…``, ``data:…``, ``file:…``) is refused: the app and the HTML report
    show a source as a link."""
    text = cell.strip()
    if _URL_LIKE.fullmatch(text) and not text.lower().startswith(("http://", "https://")):
        raise ValueError(f"{text[:40]!r} is not an http(s) address (give a web link or plain "
                         f"words)")
    return text


def _lower_text(cell: str) -> str:
    return cell.strip().lower()


def _iso_date(cell: str) -> date:
    try:
        return date.fromisoformat(cell.strip())
    except ValueError:
        raise ValueError(f"{cell.strip()!r} is not a date (expected YYYY-MM-DD)") from None


def _number(cell: str) -> float:
    try:
        value = float(cell.replace("_", "").strip())
    except ValueError:
        raise ValueError(f"{cell.strip()!r} is not a number") from None
    if not math.isfinite(value):
        raise ValueError(f"{cell.strip()!r} is not a finite number")
    return value


def _price(cell: str) -> float:
    value = _number(cell)
    if value < 0:
        raise ValueError(f"price {cell.strip()} is negative")
    return value


def _positive_number(cell: str) -> float:
    value = _number(cell)
    if value <= 0:
        raise ValueError(f"{cell.strip()} is not a positive number")
    return value


def _share(cell: str) -> float:
    value = _number(cell)
    if not 0 <= value <= 1:
        raise ValueError(f"{cell.strip()} is not a share between 0 and 1")
    return value


def _positive_int(cell: str) -> int:
    value = _number(cell)
    if value <= 0 or value != int(value):
        raise ValueError(f"{cell.strip()!r} is not a positive whole number")
    return int(value)


def _flag(cell: str) -> bool:
    value = cell.strip().lower()
    if value in ("true", "yes", "1"):
        return True
    if value in ("false", "no", "0"):
        return False
    raise ValueError(f"{cell.strip()!r} is not true or false")


SERVING_MODES = ("per-token", "dedicated")
"""How a tuned model is served: ``per-token`` (the adapter answers on the provider's shared
pool, billed per token, no hosting fee) or ``dedicated`` (a deployment billed by the hour)."""

FINETUNE_METHODS = ("sft", "lora-sft", "full-sft", "dpo", "lora-dpo", "full-dpo", "rft")
"""Training methods an offering may name; ``sft`` is the provider's standard supervised tuning
when it does not say LoRA or full."""

LIFECYCLE_KINDS = ("finetune", "inference")
LIFECYCLE_STATUSES = ("active", "deprecated", "retired")


def _choice(choices: tuple[str, ...]) -> Callable[[str], str]:
    def parse(cell: str) -> str:
        value = cell.strip().lower()
        if value not in choices:
            raise ValueError(f"{cell.strip()!r} is not one of {', '.join(choices)}")
        return value
    return parse


def _columns(*cols: Column) -> dict[str, Column]:
    return {c.name: c for c in cols}


_UNTIL = Column(name="effective_until", parse=_iso_date)
"""Last day a price row applies (empty: until a later row of the same key replaces it)."""

_META = (
    Column(name="source_url", parse=_source, required=True),
    Column(name="checked_on", parse=_iso_date),
    Column(name="comment", parse=_text),
)

FINETUNE_COLUMNS = _columns(
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="base_model", parse=_lower_text, required=True),
    Column(name="effective_from", parse=_iso_date, required=True),
    Column(name="train_usd_per_mtok", parse=_price),
    Column(name="train_usd_per_hour", parse=_price),
    Column(name="input_usd_per_mtok", parse=_price, required=True),
    Column(name="cached_input_usd_per_mtok", parse=_price),
    Column(name="output_usd_per_mtok", parse=_price, required=True),
    Column(name="hosting_usd_per_hour", parse=_price),
    Column(name="min_charge_usd", parse=_price),
    Column(name="max_tokens_per_example", parse=_positive_int),
    Column(name="batch_discount", parse=_share),
    Column(name="method", parse=_choice(FINETUNE_METHODS), default="sft"),
    Column(name="storage_usd_per_month", parse=_price),
    Column(name="validation_usd_per_mtok", parse=_price),
    Column(name="params_min_b", parse=_price),
    Column(name="params_max_b", parse=_price),
    Column(name="serving", parse=lambda c: _choice(SERVING_MODES)(c)),
    Column(name="free_preview", parse=_flag, default=False),
    Column(name="storage_usd_per_gb_month", parse=_price),
    _UNTIL,
    *_META,
)
"""``params_min_b`` / ``params_max_b`` [billions of parameters]: the provider's size band
when the offering is priced by model size (empty upper bound: no upper limit); such a row
prices any base model of its provider whose size falls in the band.

``serving`` (``per-token`` or ``dedicated``; empty: not stated) says how the tuned model is
served; a per-token offering has no hosting fee (``hosting_usd_per_hour`` empty or 0) and its
``input``/``output`` rates are the provider's prefill and sample rates. ``free_preview`` (true
or false, default false) marks rates the provider lists but does not charge during a preview:
ftroi still charges them, as the preview will end. ``storage_usd_per_gb_month`` [USD per GB
and month] is a checkpoint storage price where the provider bills by size (shown, not in the
cost: adapter sizes vary)."""
FINETUNE_KEY = ("provider", "base_model", "method", "effective_from")

INFERENCE_COLUMNS = _columns(
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="model", parse=_lower_text, required=True),
    Column(name="effective_from", parse=_iso_date, required=True),
    Column(name="input_usd_per_mtok", parse=_price, required=True),
    Column(name="cached_input_usd_per_mtok", parse=_price),
    Column(name="output_usd_per_mtok", parse=_price),
    _UNTIL,
    *_META,
)
INFERENCE_KEY = ("provider", "model", "effective_from")

GPU_COLUMNS = _columns(
    Column(name="gpu", parse=_text, required=True),
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="effective_from", parse=_iso_date, required=True),
    Column(name="usd_per_hour", parse=_price, required=True),
    Column(name="memory_gb", parse=_positive_number),
    _UNTIL,
    *_META,
)
GPU_KEY = ("gpu", "provider", "effective_from")

BATCH_COLUMNS = _columns(
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="effective_from", parse=_iso_date, required=True),
    Column(name="batch_discount", parse=_share, required=True),
    _UNTIL,
    *_META,
)
BATCH_KEY = ("provider", "effective_from")

LIFECYCLE_COLUMNS = _columns(
    Column(name="kind", parse=_choice(LIFECYCLE_KINDS), required=True),
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="model", parse=_lower_text, required=True),
    Column(name="status", parse=_choice(LIFECYCLE_STATUSES), required=True),
    Column(name="announced_on", parse=_iso_date),
    Column(name="training_ends", parse=_iso_date),
    Column(name="serving_ends", parse=_iso_date),
    Column(name="successor", parse=_lower_text),
    *_META,
)
LIFECYCLE_KEY = ("kind", "provider", "model")
"""Lifecycle facts of a fine-tuning offering (``kind`` finetune: provider and base model) or an
inference model: ``training_ends`` is the last day new training jobs are accepted,
``serving_ends`` the last day the model (and its fine-tunes) answers, ``successor`` the
provider's named successor (``provider/model``; empty where there is none to move to)."""


DISTILLATION_TEACHER_BILLING = ("on_demand", "batch")
DISTILLATION_SERVING = ("on_demand", "provisioned_throughput")

DISTILLATION_COLUMNS = _columns(
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="teacher_model", parse=_lower_text, required=True),
    Column(name="student_model", parse=_lower_text, required=True),
    Column(name="effective_from", parse=_iso_date, required=True),
    Column(name="teacher_billing", parse=_choice(DISTILLATION_TEACHER_BILLING), required=True),
    Column(name="student_train_usd_per_mtok", parse=_price),
    Column(name="serving", parse=_choice(DISTILLATION_SERVING), required=True),
    *_META,
)
"""A managed distillation product: the provider runs the ``teacher_model`` on your prompts
(billed at its inference rates, ``teacher_billing``), trains the ``student_model`` on the
answers (``student_train_usd_per_mtok``; empty where the provider publishes no token rate) and
serves it (``serving``: per token on demand, or only on provisioned throughput)."""
DISTILLATION_KEY = ("provider", "teacher_model", "student_model", "effective_from")

OUTPUT_TERMS_RESTRICTIONS = ("competing_models", "other_models", "attribution", "none")
"""What a provider's terms say about training models on its outputs: not models that compete
with the provider (``competing_models``), not any other model (``other_models``), allowed with
the provider's name on the trained model (``attribution``), or no restriction (``none``)."""

OUTPUT_TERMS_COLUMNS = _columns(
    Column(name="provider", parse=_lower_text, required=True),
    Column(name="model_pattern", parse=_lower_text, required=True),
    Column(name="restriction", parse=_choice(OUTPUT_TERMS_RESTRICTIONS), required=True),
    Column(name="terms", parse=_text, required=True),
    Column(name="effective_from", parse=_iso_date, required=True),
    *_META,
)
"""Terms on training with a model's outputs: ``provider`` (``*`` = any host of the model) and
``model_pattern`` (a shell pattern such as ``gemini-*``; ``*`` = every model of the provider)
name the models, ``terms`` the document, in words."""
OUTPUT_TERMS_KEY = ("provider", "model_pattern", "effective_from")


def _finetune_row_rule(row: dict[str, Any]) -> tuple[str, str] | None:
    per_mtok = row.get("train_usd_per_mtok") is not None
    per_hour = row.get("train_usd_per_hour") is not None
    if per_mtok == per_hour:
        return ("train_usd_per_mtok", "give exactly one of train_usd_per_mtok and train_usd_per_hour")
    if row.get("serving") == "per-token" and row.get("hosting_usd_per_hour"):
        return ("hosting_usd_per_hour", "a per-token offering has no hosting fee (empty or 0)")
    low, high = row.get("params_min_b"), row.get("params_max_b")
    if high is not None and (low is None or low > high):
        return ("params_min_b", "a size band needs params_min_b no larger than params_max_b")
    return None


def _lifecycle_row_rule(row: dict[str, Any]) -> tuple[str, str] | None:
    if row["kind"] == "inference" and row.get("training_ends") is not None:
        return ("training_ends",
                "only a fine-tuning offering (kind finetune) has a last training day")
    train, serve = row.get("training_ends"), row.get("serving_ends")
    if train is not None and serve is not None and train > serve:
        return ("training_ends", f"{train} is after serving_ends {serve}")
    if row["status"] == "retired" and serve is None:
        return ("serving_ends", "a retired model needs the last day it served")
    if row["status"] == "active" and row.get("announced_on") is not None:
        why = ("a retirement was announced (announced_on), so the status is deprecated or "
               "retired, not active")
        return ("status", why)
    if row.get("successor") is not None and "/" not in row["successor"]:
        return ("successor", f"{row['successor']!r}: write the successor as provider/model")
    return None


def _window_rule(row: dict[str, Any]) -> tuple[str, str] | None:
    start, end = row.get("effective_from"), row.get("effective_until")
    if start is not None and end is not None and end < start:
        why = (f"{end} is before effective_from {start} (effective_until is the last day the "
               f"price applies)")
        return ("effective_until", why)
    return None


def _both(*rules):
    def rule(row):
        return next((p for r in rules if (p := r(row))), None)
    return rule


ROW_RULES: dict[str, Callable[[dict[str, Any]], tuple[str, str] | None]] = {
    "finetune": _both(_window_rule, _finetune_row_rule),
    "lifecycle": _lifecycle_row_rule,
    "inference": _window_rule,
    "gpus": _window_rule,
    "batch": _window_rule,
}


def check_windows(rows: list[dict[str, Any]], key: tuple[str, ...], label: str) -> None:
    """Refuse rows of one key (``key`` without ``effective_from``) whose date windows overlap
    or leave a gap after an ``effective_until``: the next row must start the day after.

    Raises
    ------
    PriceError
        Naming the file, the later row and the column.
    """
    identity = [k for k in key if k != "effective_from"]
    groups: dict[tuple, list[dict[str, Any]]] = {}
    for row in rows:
        groups.setdefault(tuple(row[k] for k in identity), []).append(row)
    for group in groups.values():
        group = sorted(group, key=lambda r: r["effective_from"])
        for before, after in pairwise(group):
            end = before.get("effective_until")
            if end is None:
                continue
            where = f"{label}, row {after['_row']}, column 'effective_from'"
            nxt = after["effective_from"]
            if nxt <= end:
                raise PriceError(f"{where}: {nxt} overlaps row {before['_row']}, whose price "
                                 f"applies until {end}; start the new price on "
                                 f"{end + timedelta(days=1)} or end the earlier one sooner")
            if nxt > end + timedelta(days=1):
                raise PriceError(f"{where}: {nxt} leaves a gap after row {before['_row']}, "
                                 f"whose price ends {end}; a scheduled price starts the day "
                                 f"after ({end + timedelta(days=1)})")


def _csv_rows(reader, label: str):
    """The reader's rows; a CSV the parser cannot read (a cell over its 131,072-character
    limit, a stray quote) becomes a PriceError naming the line."""
    while True:
        try:
            yield next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise PriceError(f"{label}, line {reader.line_num}: not CSV ({exc})") from None


def read_price_csv(
    source: str | Path | io.TextIOBase,
    columns: dict[str, Column],
    key: tuple[str, ...],
    *,
    kind: str = "",
    name: str | None = None,
) -> list[dict[str, Any]]:
    """Read and validate one price CSV.

    Parameters
    ----------
    source : path or text file object
    columns : the file's schema (column name -> :class:`Column`)
    key : columns whose values must be unique together
    kind : schema name, selecting an extra per-row rule (``"finetune"``)
    name : how to call the file in messages (default: its path)

    Returns
    -------
    list of dict
        One dict per row, parsed; empty cells are ``None``; each row carries ``_row`` (the data
        row number, 1-based), ``_file`` and ``_given`` (the columns with a value in the row).

    Raises
    ------
    PriceError
        With the file, row and column of the first problem found.
    """
    if isinstance(source, (str, Path)):
        path = Path(source)
        label = name or str(path)
        try:
            text = path.read_text(encoding="utf-8-sig")
        except FileNotFoundError:
            raise PriceError(f"{label}: no such price file") from None
        except UnicodeDecodeError as exc:
            raise PriceError(f"{label}: not UTF-8 text ({exc.reason})") from None
    else:
        label = name or getattr(source, "name", "<price file>")
        text = source.read()
    reader = csv.reader(io.StringIO(text))
    try:
        header = [h.strip() for h in next(reader)]
    except StopIteration:
        raise PriceError(f"{label}: the file is empty (expected a header row)") from None
    except csv.Error as exc:
        raise PriceError(f"{label}, header: not CSV ({exc})") from None
    for col in header:
        if col not in columns:
            known = ", ".join(columns)
            raise PriceError(f"{label}, header, column {col!r}: unknown column (known: {known})")
    if len(set(header)) != len(header):
        dup = next(c for c in header if header.count(c) > 1)
        raise PriceError(f"{label}, header, column {dup!r}: the column appears twice")
    for col in columns.values():
        if col.required and col.name not in header:
            raise PriceError(f"{label}, header: required column {col.name!r} is missing")

    rows: list[dict[str, Any]] = []
    seen: dict[tuple, int] = {}
    row_rule = ROW_RULES.get(kind)
    for row_number, cells in enumerate(_csv_rows(reader, label), start=1):
        if not any(c.strip() for c in cells):
            continue
        where = f"{label}, row {row_number} (line {reader.line_num})"
        if len(cells) != len(header):
            raise PriceError(f"{where}: has {len(cells)} cells, the header has {len(header)}")
        row: dict[str, Any] = {name: col.default for name, col in columns.items()}
        for col_name, cell in zip(header, cells):
            col = columns[col_name]
            if not cell.strip():
                if col.required:
                    raise PriceError(f"{where}, column {col_name!r}: must not be empty")
                row[col_name] = col.default
                continue
            try:
                row[col_name] = col.parse(cell)
            except ValueError as exc:
                raise PriceError(f"{where}, column {col_name!r}: {exc}") from None
        if row_rule and (problem := row_rule(row)):
            raise PriceError(f"{where}, column {problem[0]!r}: {problem[1]}")
        row_key = tuple(row[k] for k in key)
        if row_key in seen:
            raise PriceError(
                f"{where}, column {key[0]!r}: duplicate of row {seen[row_key]} "
                f"(same {', '.join(key)})"
            )
        seen[row_key] = row_number
        row["_row"] = row_number
        row["_file"] = label
        row["_given"] = frozenset(c for c, cell in zip(header, cells) if cell.strip())
        rows.append(row)
    if "effective_until" in columns and "effective_from" in key:
        check_windows(rows, key, label)
    return rows
