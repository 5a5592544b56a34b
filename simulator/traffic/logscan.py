"""Reading request logs: one record at a time, one byte range at a time, on every core.

:func:`simulator.traffic.workload.from_logs` is the public entry; this module holds its machinery.

Records
    :func:`parse_json_record` turns one JSON line into a :class:`Request` (or raises
    :class:`~simulator.core.errors.InputError` saying what is wrong); :func:`parse_csv_row` does the
    same for a row of a usage CSV. The shapes read are described in :data:`FORMATS`.

Byte ranges
    A file is cut into ranges that start at line starts (:func:`plan_ranges`); a worker reads
    its range line by line and returns a :class:`Partial`: token-count histograms, requests per
    month, the message prefix common to its requests and its bad lines with range-local line
    numbers. Partials merge in file order, so line numbers come out right and every figure is
    the same whatever the number of workers. Memory is bounded by the range, never the file.
"""

from __future__ import annotations

import csv
import itertools
import json
import math
import os
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

from ..core.errors import InputError
from ..core.limits import LOG_EARLIEST, LOG_GAP_DAYS, LOG_LATEST, MAX_REQUEST_TOKENS, shorten
from ..tokens import tokens

FORMATS = ("chat-jsonl", "batch-input", "batch-output", "usage-csv")
"""Log shapes read.

chat-jsonl : one chat request per line, ``{"messages": [...], "model": …}`` or
    ``{"request": {"messages": …}, "response": {...}}`` (an Anthropic request's ``system`` is
    read as a leading system message); a ``usage`` object (top level or in the response) gives
    the billed completion, cached and reasoning tokens (:func:`_read_usage`); without one, the
    response's reply or a last ``assistant`` message is counted as the output.
batch-input : OpenAI Batch API input, ``{"custom_id", "method", "url", "body": {"messages"…}}``
batch-output : OpenAI Batch API output, ``{"custom_id", "response": {"status_code", "body":
    {"created", "usage"…}}, "error"}``
usage-csv : one request per row with a header; see :data:`CSV_COLUMNS`.
"""

TIME_KEYS = ("timestamp", "created_at", "created", "time", "ts", "start_time", "startTime",
             "request_time")
"""Keys of a JSON record (or its request/response) read as the request's time."""

CSV_COLUMNS = {
    "timestamp": ("timestamp", "time", "date", "datetime", "created", "createdat", "starttime",
                  "requesttime"),
    "prompt_tokens": ("prompttokens", "inputtokens", "usageinput"),
    "completion_tokens": ("completiontokens", "outputtokens", "usageoutput"),
    "cached_tokens": ("cachedtokens", "cachedinputtokens", "cachereadinputtokens",
                      "promptcachedtokens", "prompttokensdetailscachedtokens",
                      "cachereadtokens"),
    "cache_write_tokens": ("cachewritetokens", "cachecreationinputtokens",
                           "cachecreationtokens", "cachewriteinputtokens"),
    "reasoning_tokens": ("reasoningtokens", "completiontokensdetailsreasoningtokens",
                         "outputtokensdetailsreasoningtokens", "reasoningoutputtokens"),
    "model": ("model", "modelname"),
}
"""Usage-CSV columns and the header names accepted for each (case, spaces, ``_``, ``-`` and
``.`` ignored). ``prompt_tokens`` and ``completion_tokens`` are required.

As in the usage objects: the prompt column is the whole prompt, cached and cache-write
tokens included, except with Anthropic's names (``cache_read_input_tokens`` /
``cache_creation_input_tokens``), where they come on top of ``input_tokens``; the completion
column includes the reasoning tokens (OpenAI's convention), which are kept apart."""

EXCLUSIVE_CACHE = "_cache_on_top"
"""Pseudo-column of :func:`csv_columns` (index -1): the cache columns carry Anthropic's
names, so cached and written tokens come on top of the prompt column."""

_ANTHROPIC_CACHE_NAMES = ("cachereadinputtokens", "cachecreationinputtokens")

MAX_LISTED_ERRORS = 10_000
"""Bad lines kept with their line numbers; further ones are only counted."""

MAX_SECONDS = 253_402_300_799
"""9999-12-31T23:59:59Z, the last time a datetime holds."""

MAX_MODELS = 200
"""Distinct model names remembered per range."""


class LogIssue:
    """One bad line: its ``file``, 1-based ``line`` and what is wrong."""

    __slots__ = ("file", "line", "message")

    def __init__(self, file: str, line: int, message: str):
        self.file, self.line, self.message = file, line, message

    def __str__(self) -> str:
        return f"{self.file}:{self.line}: {self.message}"

    def __repr__(self) -> str:
        return f"LogIssue({self.file!r}, {self.line}, {self.message!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, LogIssue) and (self.file, self.line, self.message) == (
            other.file, other.line, other.message)

    def __hash__(self) -> int:
        return hash((self.file, self.line, self.message))


# ---- one record -------------------------------------------------------------------------------

@dataclass(slots=True)
class Request:
    """What one log record says about one request (``None``: the record does not say)."""

    time: float | None = None              # [s since 1970-01-01 UTC]
    messages: list | None = None           # the prompt's chat messages
    tools: list | None = None
    output_tokens: int | None = None       # billed, from a usage object [tokens]
    output_parts: list | None = None       # reply text to count instead
    prompt_tokens: int | None = None       # billed, the whole prompt [tokens]
    cached_tokens: int | None = None       # of which read from the prompt cache [tokens]
    cache_write_tokens: int | None = None  # of which written to the cache [tokens]
    reasoning_tokens: int | None = None    # hidden reasoning, not in output_tokens [tokens]
    model: str | None = None


EARLIEST_SECONDS = datetime.fromisoformat(LOG_EARLIEST).replace(tzinfo=UTC).timestamp()
LATEST_SECONDS = datetime.fromisoformat(LOG_LATEST).replace(tzinfo=UTC).timestamp()


def parse_time(value: Any, where: str = "timestamp") -> float:
    """Seconds since 1970-01-01 UTC from unix seconds, milliseconds or an ISO 8601 text.

    Numbers above 1e11 are taken as milliseconds; a time without a zone is UTC. A time before
    :data:`~simulator.core.limits.LOG_EARLIEST` or from :data:`~simulator.core.limits.LOG_LATEST` on is
    refused: no request log holds one, and one such line would move the months and volume.
    """
    if isinstance(value, bool):
        raise InputError(f"{where}: expected a time, got {value!r}")
    if isinstance(value, str):
        text = value.strip()
        try:
            value = float(text)
        except ValueError:
            try:
                moment = datetime.fromisoformat(text)
                if moment.tzinfo is None:
                    moment = moment.replace(tzinfo=UTC)
                seconds = moment.timestamp()
            except (ValueError, OverflowError):
                raise InputError(f"{where}: not a time (ISO 8601 or unix seconds): "
                                 f"{shorten(value)}") from None
            return _in_window(seconds, value, where)
    if isinstance(value, (int, float)):
        if not math.isfinite(value) or abs(value) > 1e18:
            raise InputError(f"{where}: not a time: {shorten(value)}")
        seconds = float(value) / 1000.0 if abs(value) > 1e11 else float(value)
        return _in_window(seconds, value, where)
    raise InputError(f"{where}: expected a time, got {type(value).__name__}")


def _in_window(seconds: float, value: Any, where: str) -> float:
    if not EARLIEST_SECONDS <= seconds < LATEST_SECONDS:
        shown = _iso(seconds) if -62_135_596_800 <= seconds <= MAX_SECONDS else shorten(value)
        raise InputError(f"{where}: {shown} is outside the times a request log holds: from "
                         f"{LOG_EARLIEST} to before {LOG_LATEST} (UTC)")
    return seconds


def _iso(seconds: float) -> str:
    """``seconds`` as an ISO 8601 UTC text, for any time a datetime holds."""
    moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    return moment.replace(microsecond=0, tzinfo=None).isoformat() + "Z"


def day_index(seconds: float) -> int:
    """Days since 1970-01-01 (UTC) of a time."""
    return int(seconds // 86_400)


def plausible_window(days: Mapping[int, int], gap_days: int = LOG_GAP_DAYS
                     ) -> tuple[int, int] | None:
    """(first day, last day) of the requests that belong together, from requests per day.

    Walking out from the median request's day, the window ends (on each side) at the first
    run of more than ``gap_days`` days without a request; days beyond it are stray lines
    (:data:`~simulator.core.limits.LOG_GAP_DAYS`). None without days.
    """
    if not days:
        return None
    order = sorted(days)
    half = sum(days.values()) / 2
    seen, mid = 0, 0
    for mid, day in enumerate(order):
        seen += days[day]
        if seen >= half:
            break
    hi = mid
    while hi + 1 < len(order) and order[hi + 1] - order[hi] - 1 <= gap_days:
        hi += 1
    lo = mid
    while lo > 0 and order[lo] - order[lo - 1] - 1 <= gap_days:
        lo -= 1
    return order[lo], order[hi]


def month_index(seconds: float) -> int:
    """Calendar month (UTC) of a time, as ``year × 12 + month − 1``."""
    moment = datetime.fromtimestamp(seconds, tz=UTC)
    return moment.year * 12 + moment.month - 1


def _find_time(*sources: Mapping[str, Any] | None) -> float | None:
    for source in sources:
        if not isinstance(source, Mapping):
            continue
        for key in TIME_KEYS:
            value = source.get(key)
            if value is not None:
                return parse_time(value, key)
    return None


def _count(value: Any, where: str) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise InputError(f"{where}: expected a whole number of tokens ≥ 0, got "
                         f"{shorten(value)}")
    if isinstance(value, float) and not math.isfinite(value) or value < 0 \
            or value != int(value):
        raise InputError(f"{where}: expected a whole number of tokens ≥ 0, got {value!r}")
    if value > MAX_REQUEST_TOKENS:
        raise InputError(f"{where}: {shorten(value)} is too many tokens for one request: at "
                         f"most {MAX_REQUEST_TOKENS:,}")
    return int(value)


def _read_usage(usage: Any, req: Request) -> None:
    """Fill ``req``'s billed counts from a usage object (OpenAI or Anthropic field names).

    OpenAI (Chat Completions and Responses): ``prompt_tokens`` / ``input_tokens`` is the whole
    prompt, of which ``prompt_tokens_details.cached_tokens`` were read from the cache;
    ``completion_tokens`` / ``output_tokens`` include the hidden
    ``completion_tokens_details.reasoning_tokens``, which are kept apart (the output is
    completion − reasoning). Anthropic: ``input_tokens`` counts only the tokens after the last
    cache breakpoint; ``cache_read_input_tokens`` and ``cache_creation_input_tokens`` (written
    to the cache) come on top, so the whole prompt is their sum. Its extended-thinking tokens
    are not reported apart: they stay in ``output_tokens``.
    """
    if not isinstance(usage, Mapping):
        raise InputError(f"'usage' must be an object, got {type(usage).__name__}")
    prompt = usage.get("prompt_tokens", usage.get("input_tokens"))
    completion = usage.get("completion_tokens", usage.get("output_tokens"))
    if prompt is not None:
        req.prompt_tokens = _count(prompt, "usage.prompt_tokens")
    if completion is not None:
        req.output_tokens = _count(completion, "usage.completion_tokens")
    details = usage.get("prompt_tokens_details") or usage.get("input_tokens_details") or {}
    cached = details.get("cached_tokens") if isinstance(details, Mapping) else None
    read = usage.get("cache_read_input_tokens")
    written = usage.get("cache_creation_input_tokens")
    anthropic = "prompt_tokens" not in usage and (read is not None or written is not None)
    if cached is None:
        cached = read
    if cached is not None:
        req.cached_tokens = _count(cached, "usage.cached_tokens")
    if written is not None:
        req.cache_write_tokens = _count(written, "usage.cache_creation_input_tokens")
    if anthropic and req.prompt_tokens is not None:
        req.prompt_tokens += (req.cached_tokens or 0) + (req.cache_write_tokens or 0)
    elif req.prompt_tokens is not None and \
            (req.cached_tokens or 0) + (req.cache_write_tokens or 0) > req.prompt_tokens:
        raise InputError(f"usage: cached tokens {req.cached_tokens} exceed prompt_tokens "
                         f"{req.prompt_tokens}")
    out = usage.get("completion_tokens_details") or usage.get("output_tokens_details") or {}
    reasoning = out.get("reasoning_tokens") if isinstance(out, Mapping) else None
    if reasoning is not None:
        req.reasoning_tokens = _count(reasoning, "usage.completion_tokens_details."
                                                 "reasoning_tokens")
        if req.output_tokens is not None:
            if req.reasoning_tokens > req.output_tokens:
                raise InputError(f"usage: reasoning_tokens {req.reasoning_tokens} exceed "
                                 f"completion_tokens {req.output_tokens}")
            req.output_tokens -= req.reasoning_tokens


def _messages(value: Any) -> list:
    if not isinstance(value, list) or not value:
        raise InputError("'messages' must be a non-empty list")
    return value


def _reply_parts(response: Mapping[str, Any]) -> list | None:
    choices = response.get("choices")
    if isinstance(choices, list) and choices and isinstance(choices[0], Mapping):
        message = choices[0].get("message")
        if isinstance(message, Mapping):
            return tokens.message_text_parts(message, "response.choices[0].message")[1:]
    return None


def classify(record: Mapping[str, Any]) -> str:
    """The format of one JSON record: ``batch-input``, ``batch-output`` or ``chat-jsonl``."""
    if "custom_id" in record:
        if "body" not in record and ("response" in record or "error" in record):
            return "batch-output"
        return "batch-input"
    return "chat-jsonl"


def parse_json_record(record: Any, fmt: str = "auto") -> Request:
    """One JSON log record as a :class:`Request`; ``fmt`` is ``auto`` or a JSONL format."""
    if not isinstance(record, dict):
        raise InputError(f"expected a JSON object, got {type(record).__name__}")
    kind = classify(record) if fmt == "auto" else fmt
    if kind == "batch-input":
        return _batch_input(record)
    if kind == "batch-output":
        return _batch_output(record)
    return _chat_record(record)


def _chat_record(record: dict) -> Request:
    request = record.get("request") if isinstance(record.get("request"), dict) else record
    if "messages" not in request:
        raise InputError("no 'messages' (not a chat request)")
    messages = _messages(request["messages"])
    system = request.get("system")  # Anthropic's Messages API: the system prompt beside them
    if isinstance(system, (str, list)) and system:
        messages = [{"role": "system", "content": system}, *messages]
    response = record.get("response")
    if isinstance(response, dict) and isinstance(response.get("body"), dict):
        response = response["body"]
    if not isinstance(response, dict):
        response = None
    req = Request(time=_find_time(record, request, response), messages=messages,
                  tools=request.get("tools") or request.get("functions") or None)
    model = request.get("model") or record.get("model") or (response or {}).get("model")
    req.model = model if isinstance(model, str) else None
    usage = record.get("usage") or (response or {}).get("usage")
    if usage is not None:
        _read_usage(usage, req)
    if req.output_tokens is None:
        parts = _reply_parts(response) if response else None
        if parts is None and len(messages) > 1 and isinstance(messages[-1], Mapping) \
                and messages[-1].get("role") == "assistant":
            parts = tokens.message_text_parts(messages[-1], f"messages[{len(messages) - 1}]")[1:]
            req.messages = messages[:-1]
        req.output_parts = parts
    return req


def _batch_input(record: dict) -> Request:
    body = record.get("body")
    if not isinstance(body, dict):
        raise InputError("no 'body' object (not a Batch API input line)")
    url = record.get("url")
    if url is not None and not str(url).endswith("/chat/completions"):
        raise InputError(f"url {url!r}: only chat completion requests are read")
    if "messages" not in body:
        raise InputError("body has no 'messages'")
    model = body.get("model")
    return Request(messages=_messages(body["messages"]),
                   tools=body.get("tools") or body.get("functions") or None,
                   model=model if isinstance(model, str) else None)


def _batch_output(record: dict) -> Request:
    error = record.get("error")
    if error:
        detail = error.get("message") or error.get("code") if isinstance(error, dict) else error
        raise InputError(f"request failed: {detail}")
    response = record.get("response")
    if not isinstance(response, dict):
        raise InputError("no 'response' object (not a Batch API output line)")
    status = response.get("status_code")
    if status is not None and status != 200:
        raise InputError(f"request failed with status {status}")
    body = response.get("body")
    if not isinstance(body, dict):
        raise InputError("response has no 'body'")
    if "usage" not in body:
        raise InputError("response body has no 'usage'")
    req = Request(time=_find_time(body))
    model = body.get("model")
    req.model = model if isinstance(model, str) else None
    _read_usage(body["usage"], req)
    if req.prompt_tokens is None or req.output_tokens is None:
        raise InputError("usage lacks prompt_tokens or completion_tokens")
    return req


def csv_columns(header: list[str]) -> dict[str, int]:
    """Column index of each known usage-CSV field in ``header``.

    Raises :class:`InputError` when ``prompt_tokens`` or ``completion_tokens`` is missing.
    """
    def norm(name: str) -> str:
        return "".join(c for c in name.lower() if c.isalnum())

    found: dict[str, int] = {}
    normalised = [norm(h) for h in header]
    for key, aliases in CSV_COLUMNS.items():
        for alias in aliases:
            if alias in normalised:
                found[key] = normalised.index(alias)
                break
    if any(normalised[found[k]] in _ANTHROPIC_CACHE_NAMES
           for k in ("cached_tokens", "cache_write_tokens") if k in found):
        found[EXCLUSIVE_CACHE] = -1
    missing = [k for k in ("prompt_tokens", "completion_tokens") if k not in found]
    if missing:
        raise InputError(f"usage CSV header {header!r} has no {' or '.join(missing)} column "
                         f"(accepted names: {', '.join(CSV_COLUMNS['prompt_tokens'])} / "
                         f"{', '.join(CSV_COLUMNS['completion_tokens'])})")
    return found


def _csv_int(cell: str, name: str) -> int:
    try:
        value = float(cell)
    except ValueError:
        raise InputError(f"{name}: expected a whole number, got {cell!r}") from None
    return _count(value, name)


def parse_csv_row(row: list[str], columns: Mapping[str, int]) -> Request:
    """One usage-CSV row as a :class:`Request` (``columns`` from :func:`csv_columns`)."""
    width = max(columns.values()) + 1
    if len(row) < width:
        raise InputError(f"expected at least {width} columns, got {len(row)}")
    req = Request(prompt_tokens=_csv_int(row[columns["prompt_tokens"]], "prompt_tokens"),
                  output_tokens=_csv_int(row[columns["completion_tokens"]],
                                         "completion_tokens"))
    if "timestamp" in columns and row[columns["timestamp"]].strip():
        req.time = parse_time(row[columns["timestamp"]], "timestamp")
    for key in ("cached_tokens", "cache_write_tokens", "reasoning_tokens"):
        if key in columns and row[columns[key]].strip():
            setattr(req, key, _csv_int(row[columns[key]], key))
    cache = (req.cached_tokens or 0) + (req.cache_write_tokens or 0)
    if EXCLUSIVE_CACHE in columns:
        req.prompt_tokens += cache
    elif cache > req.prompt_tokens:
        raise InputError(f"cached_tokens {cache} exceed prompt_tokens {req.prompt_tokens}")
    if req.reasoning_tokens is not None:
        if req.reasoning_tokens > req.output_tokens:
            raise InputError(f"reasoning_tokens {req.reasoning_tokens} exceed "
                             f"completion_tokens {req.output_tokens}")
        req.output_tokens -= req.reasoning_tokens
    if "model" in columns and row[columns["model"]].strip():
        req.model = row[columns["model"]].strip()
    return req


# ---- histograms ---------------------------------------------------------------------------------

def histogram(values: Iterable[int]) -> tuple[np.ndarray, np.ndarray]:
    """Distinct values (sorted) and how often each occurs, as two int64 arrays."""
    arr = np.fromiter(values, dtype=np.int64)
    if arr.size == 0:
        return np.zeros(0, np.int64), np.zeros(0, np.int64)
    distinct, counts = np.unique(arr, return_counts=True)
    return distinct, counts.astype(np.int64)


def merge_histograms(a: tuple[np.ndarray, np.ndarray], b: tuple[np.ndarray, np.ndarray]
                     ) -> tuple[np.ndarray, np.ndarray]:
    """The histogram of both samples together."""
    if a[0].size == 0:
        return b
    if b[0].size == 0:
        return a
    values = np.concatenate([a[0], b[0]])
    counts = np.concatenate([a[1], b[1]])
    distinct, inverse = np.unique(values, return_inverse=True)
    return distinct, np.bincount(inverse, weights=counts).astype(np.int64)


HISTOGRAMS = ("text", "overhead", "prompt_counted", "output_counted", "output_billed", "prompt_billed",
              "uncached_billed", "cached_billed", "write_billed", "reasoning_billed")
"""Per-request samples a range collects.

text : tokens of the prompt's message text and tools, counted with the encoding (raw) [tokens]
overhead : chat-format tokens (3 per message, its role, 1 per name, 3 priming) [tokens]
prompt_counted : text + overhead, per request [tokens]
output_counted : reply text counted with the encoding (raw) [tokens]
output_billed : completion tokens from a usage object or CSV, less reasoning [tokens]
prompt_billed, cached_billed : prompt and cached prompt tokens from a usage object or CSV
write_billed : prompt tokens written to the cache (0 where not reported) [tokens]
uncached_billed : prompt − cached − written tokens, per request [tokens]
reasoning_billed : hidden reasoning tokens, per request whose usage reports them [tokens]
"""


@dataclass(kw_only=True)
class Partial:
    """What one byte range (or several, merged) holds. Line numbers in ``errors`` count from
    the range's first line until :meth:`shifted` moves them."""

    n_lines: int = 0
    n_requests: int = 0
    n_timed: int = 0
    n_errors: int = 0
    errors: list = field(default_factory=list)
    hist: dict = field(default_factory=dict)
    months: Counter = field(default_factory=Counter)
    first_time: float = np.inf
    last_time: float = -np.inf
    prefix: list | None = None              # None: no request with messages seen
    n_with_messages: int = 0
    n_cache_reported: int = 0               # requests whose usage reports cached tokens
    formats: Counter = field(default_factory=Counter)
    models: Counter = field(default_factory=Counter)
    days: Counter = field(default_factory=Counter)   # requests per day (days since 1970)

    def shifted(self, lines: int, file: str) -> Partial:
        """The same partial with error line numbers moved by ``lines`` and named by ``file``."""
        self.errors = [LogIssue(file, line + lines, message) for line, message in self.errors]
        return self

    def merge(self, later: Partial) -> Partial:
        """Both partials as one; ``later`` comes after ``self`` (its errors already shifted)."""
        self.n_lines += later.n_lines
        self.n_requests += later.n_requests
        self.n_timed += later.n_timed
        self.n_errors += later.n_errors
        self.errors.extend(later.errors[:max(0, MAX_LISTED_ERRORS - len(self.errors))])
        for key in HISTOGRAMS:
            empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
            self.hist[key] = merge_histograms(self.hist.get(key, empty),
                                              later.hist.get(key, empty))
        self.months.update(later.months)
        self.days.update(later.days)
        self.first_time = min(self.first_time, later.first_time)
        self.last_time = max(self.last_time, later.last_time)
        self.prefix = common_prefix(self.prefix, later.prefix)
        self.n_with_messages += later.n_with_messages
        self.n_cache_reported += later.n_cache_reported
        self.formats.update(later.formats)
        for model, n in later.models.items():
            if model in self.models or len(self.models) < MAX_MODELS:
                self.models[model] += n
        return self


def common_prefix(a: list | None, b: list | None) -> list | None:
    """The leading messages ``a`` and ``b`` share (``None`` stands for "no messages seen")."""
    if a is None:
        return b
    if b is None:
        return a
    n = 0
    for x, y in zip(a, b):
        if x != y:
            break
        n += 1
    return a[:n]


# ---- one range ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class Task:
    """A byte range ``[start, end)`` of ``path`` that starts at a line start."""

    path: str
    fmt: str                  # "auto", a JSONL format or "usage-csv"
    start: int
    end: int
    model: str                # tokenizer used for text
    csv_columns: tuple = ()   # (name, index) pairs for usage-csv
    window: tuple | None = None   # (first, last) day of plausible times; None: not known yet


PER_MESSAGE = tokens.TOKENS_PER_MESSAGE
MEMO_MIN_CHARS = tokens._TextCounter.MEMO_MIN_CHARS
MEMO_MAX = 20_000
"""Distinct long texts remembered per range (then only those keep being looked up)."""


class _Scanner:
    """Counts the requests of one range; the state behind :func:`scan_range`."""

    def __init__(self, model: str, window: tuple[int, int] | None = None):
        self.window = window
        tok = tokens.tokenizer_for(model)
        enc = tokens.get_encoding(tok.encoding)
        # Text is counted raw with the encoding; estimates are scaled once, at the end. Tools
        # are counted with a model of the same encoding, so they come out raw too.
        self.tools_model = model if tok.exact else "gpt-4o"
        self.counter = tokens._TextCounter(enc, max_entries=MEMO_MAX)
        self.memo_room = True
        self.role_tokens: dict[str, int] = {}
        self.tool_tokens: dict[str, int] = {}
        self.p = Partial()
        self.lists: dict[str, list[int]] = {key: [] for key in HISTOGRAMS}

    def fail(self, line: int, message: str) -> None:
        self.p.n_errors += 1
        if len(self.p.errors) < MAX_LISTED_ERRORS:
            self.p.errors.append((line, message))

    def take(self, req: Request, fmt: str) -> None:
        """Count one valid request (all checks that can fail happen before anything is kept)."""
        text = overhead = out_counted = None
        if self.window is not None and req.time is not None \
                and not self.window[0] <= day_index(req.time) <= self.window[1]:
            raise InputError(stray_message(req.time, self.window))
        month = month_index(req.time) if req.time is not None else None
        if req.messages is not None:
            text, overhead = self._prompt_tokens(req)
        if req.output_parts is not None:
            out_counted = self.counter.total(req.output_parts)
        p, lists = self.p, self.lists
        p.n_requests += 1
        p.formats[fmt] += 1
        if req.model is not None and (req.model in p.models or len(p.models) < MAX_MODELS):
            p.models[req.model] += 1
        if req.time is not None:
            p.n_timed += 1
            p.months[month] += 1
            p.days[day_index(req.time)] += 1
            p.first_time = min(p.first_time, req.time)
            p.last_time = max(p.last_time, req.time)
        if text is not None:
            lists["text"].append(text)
            lists["overhead"].append(overhead)
            lists["prompt_counted"].append(text + overhead)
            candidate = req.messages[:-1]
            p.prefix = candidate if p.prefix is None else common_prefix(p.prefix, candidate)
            p.n_with_messages += 1
        if out_counted is not None:
            lists["output_counted"].append(out_counted)
        if req.output_tokens is not None:
            lists["output_billed"].append(req.output_tokens)
        if req.reasoning_tokens is not None:
            lists["reasoning_billed"].append(req.reasoning_tokens)
        if req.prompt_tokens is not None:
            cached, written = req.cached_tokens or 0, req.cache_write_tokens or 0
            lists["prompt_billed"].append(req.prompt_tokens)
            lists["cached_billed"].append(cached)
            lists["write_billed"].append(written)
            lists["uncached_billed"].append(max(req.prompt_tokens - cached - written, 0))
            if req.cached_tokens is not None or req.cache_write_tokens is not None:
                p.n_cache_reported += 1

    def _prompt_tokens(self, req: Request) -> tuple[int, int]:
        text, overhead = 0, tokens.REPLY_PRIMING_TOKENS
        role_tokens, total = self.role_tokens, self.counter.total
        memo, encode, room = self.counter.memo, self.counter.encode, self.memo_room
        for i, message in enumerate(req.messages):
            # Fast path: the common {"role": "...", "content": "text"} message; long texts
            # (a system prompt repeated in every request) are tokenized once.
            if type(message) is dict and len(message) == 2:
                role, content = message.get("role"), message.get("content")
                if type(content) is str and type(role) is str and role in role_tokens:
                    overhead += PER_MESSAGE + role_tokens[role]
                    if len(content) < MEMO_MIN_CHARS:
                        text += len(encode(content))
                    else:
                        n = memo.get(content)
                        if n is None:
                            n = len(encode(content))
                            if room:
                                memo[content] = n
                                room = self.memo_room = len(memo) < MEMO_MAX
                        text += n
                    continue
            parts = tokens.message_text_parts(message, f"messages[{i}]")
            role = parts[0]
            n = role_tokens.get(role)
            if n is None:
                n = role_tokens[role] = len(self.counter.encode(role))
            overhead += tokens.TOKENS_PER_MESSAGE + n
            if message.get("name") is not None:
                overhead += tokens.TOKENS_PER_NAME
            text += total(parts[1:])
        if req.tools:
            if not isinstance(req.tools, list):
                raise InputError("'tools' must be a list")
            key = tokens.json_dumps_compact(req.tools)
            n = self.tool_tokens.get(key)
            if n is None:
                n = tokens.tools_tokens(req.tools, self.tools_model)
                if len(self.tool_tokens) < 1000:
                    self.tool_tokens[key] = n
            text += n
        return text, overhead

    def finish(self) -> Partial:
        for key, values in self.lists.items():
            self.p.hist[key] = histogram(values)
        return self.p


def stray_message(seconds: float, window: tuple[int, int]) -> str:
    """The bad-line message of a time outside the logs' plausible ``window`` (days)."""
    first, last = (_iso(d * 86_400)[:10] for d in window)
    return (f"timestamp {_iso(seconds)} is more than {LOG_GAP_DAYS} days from the logs' other "
            f"requests ({first} to {last}): a stray time, left out")


def scan_lines(lines: Iterable[bytes], fmt: str, model: str,
               columns: Mapping[str, int] | None = None,
               window: tuple[int, int] | None = None) -> Partial:
    """Count the requests in ``lines`` (numbered from 1) of one format; with ``window``
    (first, last day), a time outside it is a bad line."""
    scanner = _Scanner(model, window)
    n = 0
    for n, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            if fmt == "usage-csv":
                if isinstance(line, bytes):
                    line = line.decode("utf-8")
                row = next(csv.reader([line]))
                req = parse_csv_row(row, columns or {})
                kind = fmt
            else:
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise InputError(f"invalid JSON: {exc.msg} at column {exc.colno}") \
                        from None
                kind = classify(record) if fmt == "auto" and isinstance(record, dict) \
                    else fmt
                req = parse_json_record(record, kind)
            scanner.take(req, kind)
        except InputError as exc:
            scanner.fail(n, str(exc))
        except UnicodeDecodeError as exc:
            scanner.fail(n, f"not UTF-8 text (byte {exc.start})")
        except (csv.Error, ValueError, OverflowError) as exc:
            scanner.fail(n, f"unreadable: {exc}")
    partial = scanner.finish()
    partial.n_lines = n
    return partial


def is_url(path: Any) -> bool:
    """Whether ``path`` names a file through fsspec (``s3://…``, ``gs://…``, ``memory://…``)."""
    return isinstance(path, str) and "://" in path


def _fsspec(path: str):
    try:
        import fsspec
    except ImportError:
        raise InputError(f"{path}: reading URLs needs fsspec, installed with the dask extra: "
                         f"{DASK_INSTALL}") from None
    return fsspec


DASK_INSTALL = 'pip install "ftroi[dask]"'
"""The install command of the optional Dask backend (and fsspec, for URLs)."""


URL_PACKAGES = {"s3": ("s3fs", "s3"), "s3a": ("s3fs", "s3"), "gs": ("gcsfs", "gcs"),
                "gcs": ("gcsfs", "gcs")}
"""URL scheme -> (the fsspec filesystem package it needs, the ftroi extra that installs it)."""


@contextmanager
def _url_errors(path: str) -> Iterator[None]:
    """A URL's library errors as one-line InputErrors naming the URL (and what to install)."""
    import zipfile

    try:
        yield
    except ImportError:
        scheme = path.split("://", 1)[0].lower()
        package, extra = URL_PACKAGES.get(scheme, (None, None))
        hint = (f'it needs {package}: pip install "ftroi[{extra}]"' if package else
                f"no filesystem for {scheme}:// is installed (fsspec names the package)")
        raise InputError(f"{path}: cannot read {scheme}:// URLs: {hint}") from None
    except zipfile.BadZipFile:
        raise InputError(f"{path}: the archive is not a zip file") from None
    except FileNotFoundError:
        raise InputError(f"{path}: no such file") from None
    except (ValueError, KeyError, NotImplementedError) as exc:
        raise InputError(f"{path}: cannot read this URL: "
                         f"{shorten(str(exc) or type(exc).__name__, 120)}") from None


@contextmanager
def open_binary(path: str) -> Iterator[Any]:
    """``path`` opened for binary reading: a local file, or a URL through fsspec."""
    if is_url(path):
        with _url_errors(path):
            fh = _fsspec(path).open(path, "rb").open()
        with fh:
            yield fh
    else:
        with open(path, "rb") as fh:
            yield fh


def file_size(path: str) -> int:
    """Size of ``path`` [bytes] (a local file or a URL)."""
    if is_url(path):
        with _url_errors(path):
            fs, inner = _fsspec(path).core.url_to_fs(path)
            return int(fs.size(inner))
    return os.path.getsize(path)


def is_file(path: str) -> bool:
    """Whether ``path`` is an existing file (a local file or a URL)."""
    if is_url(path):
        with _url_errors(path):
            fs, inner = _fsspec(path).core.url_to_fs(path)
            return bool(fs.isfile(inner))
    return os.path.isfile(path)


def _range_lines(path: str, start: int, end: int) -> Iterable[bytes]:
    with open_binary(path) as fh:
        fh.seek(start)
        left = end - start
        while left > 0:
            line = fh.readline()
            if not line:
                break
            left -= len(line)
            yield line


def scan_range(task: Task) -> Partial:
    """Count the requests in one byte range (run in a worker process, or in this one)."""
    return scan_lines(_range_lines(task.path, task.start, task.end), task.fmt, task.model,
                      dict(task.csv_columns), task.window)


def plan_ranges(path: str, start: int, chunk_bytes: int) -> list[tuple[int, int]]:
    """Cut ``path`` from byte ``start`` into ranges of about ``chunk_bytes`` at line starts."""
    size = file_size(path)
    bounds = [start]
    with open_binary(path) as fh:
        while bounds[-1] + chunk_bytes < size:
            fh.seek(bounds[-1] + chunk_bytes)
            fh.readline()
            position = fh.tell()
            if position >= size:
                break
            bounds.append(position)
    bounds.append(size)
    return [(a, b) for a, b in itertools.pairwise(bounds) if b > a]


def run_tasks(tasks: list[Task], *, workers: int,
              progress: Callable[[int, int], None] | None = None) -> Iterable[Partial]:
    """Scan every task, in worker processes when ``workers > 1``; yield partials in order.

    With ``workers = n > 1`` this process is one of the ``n``: it starts ``n − 1`` worker
    processes and scans too, so no core waits while the workers start. All tasks are queued
    for the workers in file order; this process takes tasks from the other end (those no
    worker has started yet) until the two meet, so the split balances itself whatever the
    speed of each side. Workers are forked when this process runs a single Python thread on
    Linux (they start at once, with the encoding already built); otherwise (a Streamlit or
    Jupyter host has threads) they are spawned: fresh interpreters, safe in threaded hosts.

    ``progress(done_bytes, total_bytes)`` is called after each range.
    """
    sizes = [t.end - t.start for t in tasks]
    total = sum(sizes)
    done = 0
    if workers <= 1 or len(tasks) <= 1:
        for task, size in zip(tasks, sizes):
            partial = scan_range(task)
            done += size
            if progress:
                progress(done, total)
            yield partial
        return
    from concurrent.futures import ProcessPoolExecutor

    _warm(tasks[0].model)            # this process scans too; a forked worker inherits it
    context = _start_context()
    results: dict[int, Partial] = {}
    pool = ProcessPoolExecutor(max_workers=min(workers, len(tasks)) - 1, mp_context=context,
                               initializer=_warm, initargs=(tasks[0].model,))
    try:
        with warnings.catch_warnings():
            # Python ≥ 3.12 warns on any fork of a process with native threads (numpy's
            # BLAS pool); no Python thread runs but this one, checked in _start_context.
            warnings.filterwarnings("ignore", message=".*multi-threaded.*fork",
                                    category=DeprecationWarning)
            futures = [pool.submit(scan_range, task) for task in tasks]
        counted: set[int] = set()
        emitted, back = 0, len(tasks) - 1
        while back >= 0 and futures[back].cancel():
            results[back] = scan_range(tasks[back])
            counted.add(back)
            done += sizes[back]
            back -= 1
            for i in range(emitted, back + 1):          # the workers' finished ranges
                if i not in counted and futures[i].done():
                    counted.add(i)
                    done += sizes[i]
            if progress:
                progress(done, total)
            while emitted <= back and futures[emitted].done():
                if emitted not in counted:  # finished since the count above
                    counted.add(emitted)
                    done += sizes[emitted]
                    if progress:
                        progress(done, total)
                yield futures[emitted].result()
                emitted += 1
        # Every task left was started by a worker, in order: wait for them, then ours.
        for i in range(emitted, len(tasks)):
            if i <= back:
                partial = futures[i].result()
                if i not in counted:
                    done += sizes[i]
                    if progress:
                        progress(done, total)
                yield partial
            else:
                yield results.pop(i)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
def _start_context():
    """How worker processes start: forked when that is safe, else spawned."""
    import multiprocessing

    if sys.platform == "linux" and threading.active_count() == 1 \
            and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    # "spawn": a fresh interpreter per worker, safe in threaded hosts (Streamlit, Jupyter).
    return multiprocessing.get_context("spawn")


def _warm(model: str) -> None:
    """Build the worker's encoding before the first range arrives."""
    tokens.tokenizer_for(model)
    tokens.get_encoding(tokens.tokenizer_for(model).encoding)


def read_header(path: str) -> tuple[list[str], int]:
    """The CSV header row of ``path`` and the byte where the data starts."""
    with open_binary(path) as fh:
        first = fh.readline()
        try:
            header = next(csv.reader([first.decode("utf-8-sig")]), [])
        except UnicodeDecodeError as exc:
            raise InputError(f"{path}: header is not UTF-8 text (byte {exc.start})") from None
        except csv.Error as exc:
            raise InputError(f"{path}: line 1 is neither a JSON request nor a CSV header "
                             f"({exc})") from None
        return header, fh.tell()


def sniff(path: str | Path, lines: int = 200) -> tuple[str, list[dict]]:
    """Guess ``path``'s shape from its first lines: ``"jsonl"`` or ``"usage-csv"``, and the
    first JSON records (to find the model)."""
    records: list[dict] = []
    kind = None
    with open_binary(str(path)) as fh:
        for _, raw in zip(range(lines), iter(fh.readline, b"")):
            text = raw.decode("utf-8", errors="replace").strip().lstrip("\ufeff")
            if not text:
                continue
            if kind is None:
                kind = "jsonl" if text.startswith("{") else "usage-csv"
                if kind == "usage-csv":
                    break
            try:
                record = json.loads(text)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                records.append(record)
    return kind or "jsonl", records


def record_model(record: Mapping[str, Any]) -> str | None:
    """The model a JSON record names, wherever its format keeps it."""
    for holder in (record, record.get("body"), record.get("request"), record.get("response")):
        if isinstance(holder, Mapping):
            model = holder.get("model")
            if isinstance(model, str) and model.strip():
                return model.strip()
            body = holder.get("body")
            if isinstance(body, Mapping) and isinstance(body.get("model"), str):
                return body["model"].strip()
    return None
