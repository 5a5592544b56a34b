"""Your own traffic in: the workload of a scenario, measured from request logs.

:func:`from_logs` reads logs of the prompting road as people have them (chat request JSONL,
OpenAI Batch API input and output files, a usage CSV; :data:`simulator.traffic.logscan.FORMATS`) and
returns a :class:`WorkloadReport`:

* requests per calendar month (UTC) and the growth between complete months;
* p5 / p50 / p95 / mean of the user's input tokens and of the output tokens per request;
* the static prefix every request shares (the leading messages common to all requests: system
  prompt and few-shot turns), counted exactly with the model's tokenizer, and its share of the
  prompt, which is what prompt caching can discount;
* the observed per-request tokens as :class:`~simulator.model.uncertainty.Empirical` distributions
  for :func:`simulator.monte_carlo`;
* :meth:`WorkloadReport.to_scenario`: a scenario whose workload comes from the logs.

Bad lines are listed with file and line number, counted and left out of every figure.

How a prompt is split (``P = s + f + u + k`` per request, as in the cost model):
``s`` the text of the system/developer messages in the shared prefix, ``f`` the text of its
other messages (few-shot), ``k`` the chat format (3 tokens per message, its role, 1 per name, 3
to prime the reply) and ``u`` the rest: the user's own content, tools included. Logs that only
carry billed counts (batch output, usage CSV) cannot be split by text; there the cached prompt
tokens stand for the static prefix (``s``), ``u`` is prompt − cached and ``k`` is 0.

Percentiles are numpy's default (linear) percentiles of the per-request counts, computed from
exact histograms, so files of any size need memory only for the distinct counts.
"""

from __future__ import annotations

import calendar
import csv
import json
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from ..core import limits
from ..core.errors import InputError
from ..model.scenario import Scenario, example_scenario
from ..model.uncertainty import Empirical
from ..tokens import tokens
from . import logscan
from .logscan import FORMATS, LogIssue, Partial

DEFAULT_MODEL = "gpt-4o"
"""Tokenizer used when neither the logs nor the caller name a model."""

CHUNK_BYTES = 16 * 2**20
"""Largest byte range handed to a worker by default [bytes]."""

MIN_CHUNK_BYTES = 2**20
"""Smallest byte range chosen by default [bytes]."""

RANGES_PER_WORKER = 8
"""By default ranges are made small enough for each worker to get this many: the last ones to
finish then differ by one small range, not a big one."""

DAYS_PER_MONTH = 365.2425 / 12
"""Average calendar month [days], to scale a partial month's rate."""

ENGINES = ("processes", "dask")
"""Where the byte ranges are scanned: worker processes here, or a Dask cluster."""

SYSTEM_ROLES = frozenset({"system", "developer"})


# ---- percentiles from histograms ----------------------------------------------------------------

def percentile_from_counts(values: np.ndarray, counts: np.ndarray, q: float) -> float:
    """``np.percentile(sample, q)`` (linear method) of the sample in which each of ``values``
    (sorted, distinct) occurs ``counts`` times, without building the sample.

    numpy's own steps: virtual index ``v = (n − 1)·q/100``, the order statistics either side
    of it and numpy's two-sided linear interpolation.
    """
    n = int(np.sum(counts))
    if n == 0:
        raise InputError("percentile of an empty sample")
    virtual = (n - 1) * np.true_divide(q, 100)
    previous = np.floor(virtual)
    nxt = previous + 1
    if virtual >= n - 1:
        previous = nxt = np.float64(n - 1)
    elif virtual < 0:
        previous = nxt = np.float64(0)
    cumulative = np.cumsum(counts)
    a = values[np.searchsorted(cumulative, int(previous), side="right")]
    b = values[np.searchsorted(cumulative, int(nxt), side="right")]
    gamma = virtual - previous
    diff = b - a
    if gamma >= 0.5:
        return float(b - diff * (1 - gamma))
    return float(a + diff * gamma)


@dataclass(frozen=True, kw_only=True, eq=False)
class TokenStats:
    """The distribution of one per-request token count [tokens].

    ``values`` are the distinct counts (sorted) and ``counts`` how many requests had each;
    ``p5``, ``p50``, ``p95`` equal ``np.percentile`` of the per-request counts.
    """

    n: int
    mean: float
    p5: float
    p50: float
    p95: float
    min: int
    max: int
    values: np.ndarray
    counts: np.ndarray

    @classmethod
    def from_histogram(cls, values: np.ndarray, counts: np.ndarray) -> TokenStats | None:
        """Statistics of a histogram; ``None`` when it is empty."""
        keep = counts > 0
        values, counts = np.asarray(values, np.int64)[keep], np.asarray(counts, np.int64)[keep]
        if values.size == 0:
            return None
        order = np.argsort(values, kind="stable")
        values, counts = values[order], counts[order]
        n = int(counts.sum())
        return cls(n=n, mean=float(np.dot(values.astype(np.float64), counts) / n),
                   p5=percentile_from_counts(values, counts, 5),
                   p50=percentile_from_counts(values, counts, 50),
                   p95=percentile_from_counts(values, counts, 95),
                   min=int(values[0]), max=int(values[-1]), values=values, counts=counts)

    def percentile(self, q: float) -> float:
        """``np.percentile`` of the per-request counts at ``q`` [tokens]."""
        return percentile_from_counts(self.values, self.counts, q)

    def distribution(self) -> Empirical:
        """The per-request counts as an :class:`~simulator.model.uncertainty.Empirical`."""
        return Empirical(values=self.values, weights=self.counts)

    def row(self) -> dict[str, float]:
        return {"requests": self.n, "mean": self.mean, "p5": self.p5, "p50": self.p50,
                "p95": self.p95, "min": self.min, "max": self.max}


def _scaled(hist: tuple[np.ndarray, np.ndarray], factor: float, shift: int = 0
            ) -> tuple[np.ndarray, np.ndarray]:
    values, counts = hist
    values = values - shift
    if factor != 1.0:
        values = np.rint(values * factor).astype(np.int64)
    return values, counts


# ---- the report ---------------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True, eq=False)
class WorkloadReport:
    """What request logs say about a workload.

    files : the files read; formats : file -> the record formats found in it
    model, encoding, exact, note : the tokenizer used for text (``note`` says why an estimate)
    n_lines, n_requests : lines read, valid requests; n_errors, errors : bad lines (listed up to
        :data:`simulator.traffic.logscan.MAX_LISTED_ERRORS`), left out of every figure
    months : one row per calendar month (UTC) from the first request to the last: ``month``
        (``YYYY-MM``), ``requests``, ``complete`` (the logs cover the whole month), ``growth``
        (share over the previous month, between complete months only) [share/month]
    requests_per_month : the last complete month's requests, else the observed rate scaled to an
        average month; None without timestamps [requests/month]
    growth_per_month : compound growth between the first and last complete month [share/month]
    input_tokens : the user's content per request ``u`` [tokens]; output_tokens : per request
    prompt_tokens : the whole prompt per request ``s + f + u + k`` [tokens]
    static_prefix : the leading messages every request shares
    system_prompt_tokens, fewshot_tokens : ``s`` and ``f`` [tokens]; chat_overhead_tokens :
        mean ``k`` [tokens]; static_share : ``(s + f) / mean prompt`` [share]
    cached_share, cache_write_share : the share of the static prefix billed as read from the
        prompt cache, and as written to it: mean cached (written) tokens per request over
        ``s + f``; None when the logs report no cached tokens [share]
    reasoning_tokens : hidden reasoning tokens per request, where the usage reports them
        (kept apart from ``output_tokens``) [tokens]
    sample_rate : the share of all requests the logs hold; volumes are divided by it
    input_source : ``"counted"`` (text counted with the tokenizer) or ``"billed"`` (usage)
    notes : caveats in words
    """

    files: tuple[str, ...]
    formats: dict[str, str]
    model: str
    encoding: str
    exact: bool
    note: str
    n_lines: int
    n_requests: int
    n_errors: int
    errors: tuple[LogIssue, ...]
    months: pd.DataFrame
    first_time: datetime | None
    last_time: datetime | None
    requests_per_month: float | None
    growth_per_month: float | None
    input_tokens: TokenStats | None
    output_tokens: TokenStats | None
    prompt_tokens: TokenStats | None
    static_prefix: tuple[dict, ...]
    system_prompt_tokens: int
    fewshot_tokens: int
    chat_overhead_tokens: float
    static_share: float
    input_source: str
    models_seen: dict[str, int]
    notes: tuple[str, ...]
    cached_share: float | None = None
    cache_write_share: float | None = None
    reasoning_tokens: TokenStats | None = None
    sample_rate: float = 1.0

    def token_table(self) -> pd.DataFrame:
        """One row per measured quantity: requests, mean, p5, p50, p95, min, max [tokens]."""
        rows = []
        for name, stats in (("input (user)", self.input_tokens),
                            ("output", self.output_tokens),
                            ("reasoning", self.reasoning_tokens),
                            ("prompt (whole)", self.prompt_tokens)):
            if stats is not None:
                rows.append({"tokens": name, **stats.row()})
        return pd.DataFrame(rows)

    def distributions(self) -> dict[str, Empirical]:
        """The observed per-request tokens as Monte Carlo distributions, by scenario field.

        Each draw is one observed request's count standing for every request of the horizon:
        the spread of "what if our requests looked like that one", wider than the uncertainty
        of the mean. Use it to see how far per-request size alone can move the answer.
        """
        out = {}
        if self.input_tokens is not None:
            out["workload.input_tokens"] = self.input_tokens.distribution()
        if self.output_tokens is not None:
            out["workload.output_tokens"] = self.output_tokens.distribution()
        return out

    def scenario_values(self) -> dict[str, Any]:
        """Scenario fields (by dotted path) measured in the logs; unmeasured ones are left out."""
        values: dict[str, Any] = {}
        if self.requests_per_month is not None:
            values["workload.requests_per_month"] = round(self.requests_per_month, 1)
            if self.growth_per_month is not None:
                values["workload.growth_per_month"] = round(self.growth_per_month, 4)
        if self.input_tokens is not None:
            values["workload.input_tokens"] = round(self.input_tokens.mean, 1)
            values["workload.chat_overhead_tokens"] = round(self.chat_overhead_tokens, 1)
            values["prompt.system_prompt_tokens"] = self.system_prompt_tokens
            values["prompt.fewshot_tokens"] = self.fewshot_tokens
            values["prompt.system_prompt"] = None
            values["prompt.fewshot"] = None
        if self.output_tokens is not None:
            values["workload.output_tokens"] = round(self.output_tokens.mean, 1)
        if self.cached_share is not None:
            values["prompt.cached_share"] = round(self.cached_share, 4)
            values["prompt.cache_write_share"] = round(self.cache_write_share or 0.0, 4)
        if self.reasoning_tokens is not None:
            values["prompt.reasoning_tokens"] = round(self.reasoning_tokens.mean, 1)
        model = self.main_model()
        if model is not None and _priced(model):
            values["prompt.model"] = model
        return values

    def main_model(self) -> str | None:
        """The model named by more than half of the requests, if any."""
        if not self.models_seen:
            return None
        model, n = max(self.models_seen.items(), key=lambda kv: kv[1])
        return model if n * 2 > self.n_requests else None

    def to_scenario(self, base: Scenario | None = None) -> Scenario:
        """``base`` (default: the example scenario) with the fields the logs measured."""
        base = example_scenario() if base is None else base
        return base.with_values(**self.scenario_changes(base))

    def scenario_changes(self, base: Scenario) -> dict[str, Any]:
        """What :meth:`to_scenario` changes in ``base``, by dotted path: the measured fields,
        the title, and the tuned model's own chat overhead.

        The logs measure the *prompted* request's chat format (``workload.chat_overhead_tokens``,
        few-shot turns and all); the tuned model sends its short prompt as one system and one
        user message, so ``finetune.chat_overhead_tokens`` is written as that request under
        ``finetune.model``'s chat rule (:func:`simulator.model.resolve.chat_overhead`), unless
        ``base`` sets it.
        """
        from ..model.resolve import chat_overhead

        values = self.scenario_values()
        if "workload.chat_overhead_tokens" in values and base.finetune.chat_overhead_tokens is None:
            values["finetune.chat_overhead_tokens"] = chat_overhead(base.finetune.model)
        title = base.title or "Scenario"
        if "workload from logs" not in title:
            values["title"] = f"{title} (workload from logs)"
        return values

    def scenario_toml(self, base_text: str | None = None) -> str:
        """A TOML scenario file: ``base_text`` (default: the shipped example, with its
        comments) with the measured values written in place, under :meth:`scenario_comment`.

        Each measured field's line keeps its comment (a commented-out field is switched on);
        a field the base lacks is added at the end of its section. Should the edited text not
        read back as exactly :meth:`to_scenario` (a base written in a shape the line editor
        does not follow), the scenario is written without the base's comments instead.
        """
        import tomllib

        from ..model.scenario import Scenario, dumps_scenario, example_scenario_text

        base_text = example_scenario_text() if base_text is None else base_text
        base = Scenario.from_dict(tomllib.loads(base_text))
        changes = self.scenario_changes(base)
        expected = base.with_values(**changes)
        try:
            text = edit_toml(base_text, changes)
            ok = Scenario.from_dict(tomllib.loads(text)) == expected
        except (ValueError, InputError):
            ok = False
        if not ok:
            text = dumps_scenario(expected)
        return self.scenario_comment(changes) + text

    def scenario_comment(self, changes: Mapping[str, Any] | None = None) -> str:
        """Comment lines for a scenario file: which fields came from which logs (and, given
        :meth:`scenario_changes`, the tuned model's own chat overhead written beside them)."""
        span = ""
        if self.first_time is not None:
            span = f", {self.first_time:%Y-%m-%d} to {self.last_time:%Y-%m-%d}"
        lines = [f"# Workload measured by `ftroi workload` from {', '.join(self.files)}",
                 (f"# ({self.n_requests:,} requests{span}; {self.n_errors:,} bad lines "
                  f"left out). From the logs:")]
        lines += [f"#   {k} = {v!r}" for k, v in self.scenario_values().items() if v is not None]
        tuned = (changes or {}).get("finetune.chat_overhead_tokens")
        if tuned is not None:
            lines.append(f"# Not from the logs: finetune.chat_overhead_tokens = {tuned!r}, the "
                         f"tuned model's own short request (system + user message) under its "
                         f"chat rule; the logged chat overhead is the prompted request's.")
        lines += [f"# note: {n}" for n in self.notes]
        return "\n".join(lines) + "\n"

    def summary(self) -> dict[str, Any]:
        """The headline figures as a flat dict (for tables and CSV)."""
        out = {"files": ", ".join(self.files), "model": self.model, "exact": self.exact,
               "lines": self.n_lines, "requests": self.n_requests, "bad_lines": self.n_errors,
               "requests_per_month": self.requests_per_month,
               "growth_per_month": self.growth_per_month}
        for name, stats in (("input", self.input_tokens), ("output", self.output_tokens)):
            for key in ("mean", "p5", "p50", "p95"):
                out[f"{name}_tokens_{key}"] = None if stats is None else getattr(stats, key)
        out.update(system_prompt_tokens=self.system_prompt_tokens,
                   fewshot_tokens=self.fewshot_tokens,
                   chat_overhead_tokens=self.chat_overhead_tokens,
                   static_share=self.static_share, cached_share=self.cached_share,
                   cache_write_share=self.cache_write_share,
                   reasoning_tokens_mean=None if self.reasoning_tokens is None
                   else self.reasoning_tokens.mean,
                   sample_rate=self.sample_rate, input_source=self.input_source)
        return out


# ---- writing a scenario file in place ----------------------------------------------------------

def _toml_value(value: Any) -> str:
    """``value`` as TOML text (a number, text or boolean)."""
    import tomli_w

    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    return tomli_w.dumps({"x": value})[len("x = "):].rstrip("\n")


def _split_value(rest: str) -> tuple[str, str]:
    """(value, trailing comment with its leading spaces) of the text after ``key =``."""
    i, quote = 0, None
    while i < len(rest):
        c = rest[i]
        if quote:
            if c == "\\" and quote == '"':
                i += 1
            elif c == quote:
                quote = None
        elif c in "\"'":
            quote = c
        elif c == "#":
            break
        i += 1
    value = rest[:i].rstrip()
    return value, rest[len(value):]


def edit_toml(text: str, values: Mapping[str, Any]) -> str:
    """``text`` (a scenario's TOML) with each dotted field of ``values`` set in place.

    A field's line (``key = value  # comment``, or the commented-out ``# key = value``) gets
    the new value and keeps its comment, whose column is kept where the line allows;
    "(assumption)" in it becomes "(from the logs)". A field with no line is added at the end
    of its section (the section at the end of the file if missing); a ``None`` value
    comments the field out. Only single-line scalar fields are edited.
    """
    import re

    lines = text.splitlines()
    section_of: list[str] = []
    current = ""
    for line in lines:
        head = re.match(r"\s*\[([A-Za-z_]+)\]\s*(#.*)?$", line)
        if head:
            current = head.group(1)
        section_of.append(current)
    added: dict[str, list[str]] = {}
    for path, value in values.items():
        section, _, key = path.rpartition(".")
        pattern = re.compile(rf"^(\s*)(#\s*)?{re.escape(key)}\s*=\s*(.*)$")
        found = None
        for i, line in enumerate(lines):
            m = pattern.match(line)
            if m and section_of[i] == section and (found is None or not m.group(2)):
                found = (i, m)
                if not m.group(2):
                    break
        if value is None:
            if found is not None and not found[1].group(2):
                i, m = found
                lines[i] = f"{m.group(1)}# {lines[i][len(m.group(1)):]}"
            continue
        new = f"{key} = {_toml_value(value)}"
        if found is None:
            added.setdefault(section, []).append(f"{new}   # from the logs")
            continue
        i, m = found
        old_value, comment = _split_value(m.group(3))
        start = len(m.group(1)) + len(m.group(2) or "")
        column = start + len(f"{key} = ") + len(old_value) + (len(comment) - len(comment.lstrip()))
        comment = comment.strip().replace("(assumption)", "(from the logs)")
        body = m.group(1) + new
        if comment:
            body = body.ljust(max(column, len(body) + 2)) + comment
        lines[i] = body
    for section, extra in added.items():
        at = [i for i, s in enumerate(section_of) if s == section]
        if not at:
            lines += ["", f"[{section}]", *extra] if section else extra
            continue
        last = max(i for i in at if lines[i].strip()) if section else \
            max((i for i in at if lines[i].strip() and not lines[i].lstrip().startswith("#")),
                default=0)
        while last + 1 < len(lines) and section_of[last + 1] == section \
                and lines[last + 1].startswith(" ") and lines[last + 1].lstrip().startswith("#"):
            last += 1  # the field's comment continues on the next lines
        lines[last + 1:last + 1] = extra
        section_of[last + 1:last + 1] = [section] * len(extra)
    return "\n".join(lines) + "\n"


def _priced(model: str) -> bool:
    import pricing

    try:
        pricing.inference_rates(model)
    except (pricing.PriceError, InputError, LookupError, ValueError):
        return False
    return True


# ---- reading ------------------------------------------------------------------------------------

def from_logs(files: Any, *, format: str = "auto", model: str | None = None,
              workers: int | None = None, chunk_bytes: int | None = None,
              progress: Callable[[int, int], None] | None = None,
              engine: str = "processes", scheduler: Any = None,
              sample_rate: float = 1.0) -> WorkloadReport:
    """Measure a workload from request logs.

    Parameters
    ----------
    files : a path, a binary file object (an upload), or a list of them
    format : ``"auto"`` (each JSON line by its shape; a file not starting with ``{`` is a usage
        CSV) or one of :data:`simulator.traffic.logscan.FORMATS`
    model : tokenizer for message text; default: the model the logs name, else gpt-4o
    workers : processes over byte ranges (default: every core); 1 reads in this process
    chunk_bytes : bytes per range [bytes]; default: the files' size over 8 ranges per worker,
        from 1 MB up to 16 MB
    progress : ``progress(done_bytes, total_bytes)``, called after each range
    engine : ``"processes"`` (worker processes on this machine) or ``"dask"``: the same
        per-range function on a Dask cluster (needs ``pip install "ftroi[dask]"``)
    scheduler : with ``engine="dask"``: a scheduler address (``"tcp://host:8786"``), a
        ``distributed.Client``, or None for a local cluster of one process per core
    sample_rate : the share of all requests the logs hold, in (0, 1] (0.01: a 1% sample);
        requests per month are the logged ones divided by it (tokens per request, growth
        and shares are unchanged)

    Paths may be URLs read through fsspec (``s3://bucket/log.jsonl`` with s3fs installed,
    ``gs://…``, ``memory://…``); fsspec comes with the dask extra. On a cluster every worker
    must be able to read the paths (object storage or a shared file system) and import ftroi.

    Give a batch's input and output files together: the input holds the prompts, the output
    the dates, completions and billed counts.
    """
    if format != "auto" and format not in FORMATS:
        raise InputError(f"format: must be 'auto' or one of {', '.join(FORMATS)}, got {format!r}")
    check_sample_rate(sample_rate)
    sources = _sources(files)
    if chunk_bytes is not None:
        limits.check_count("chunk_bytes", chunk_bytes, lo=1, hi=limits.MAX_CHUNK_MB * 2**20)
    workers = (os.cpu_count() or 1) if workers is None else workers
    limits.check_count("workers", workers, lo=1, hi=max_workers())
    if model is not None and not isinstance(model, str):
        raise InputError(f"model: must be a model name (text), got {limits.shorten(model)}")
    if engine not in ENGINES:
        raise InputError(f"engine: must be one of {', '.join(ENGINES)}, got {engine!r}")
    if engine == "dask":
        from . import dask_engine

        dask_engine.require()
    elif scheduler is not None:
        raise InputError("scheduler: only with engine='dask'")
    plans = [_plan(source, format) for source in sources]
    notes = []
    if model is None:
        model = _model_from(plans)
        if model is None and any(p.fmt != "usage-csv" for p in plans):
            notes.append(f"no model named in the logs: text counted with {DEFAULT_MODEL}'s "
                         f"tokenizer (give the model to count with another)")
    tok = tokens.tokenizer_for(model or DEFAULT_MODEL)
    runner = None
    if engine == "dask":
        def runner(tasks):
            return dask_engine.run_tasks(tasks, scheduler=scheduler, progress=progress)
    total, per_file = _scan_all(plans, tok.model, workers, chunk_bytes, progress, runner)
    window = logscan.plausible_window(total.days)
    if window is not None and (min(total.days) < window[0] or max(total.days) > window[1]):
        # Stray times: read again, with them as bad lines, so they move no figure.
        total, per_file = _scan_all(plans, tok.model, workers, chunk_bytes, progress, runner,
                                    window)
    return _report(total, per_file, tok, notes, float(sample_rate))


def _scan_all(plans: list[_FilePlan], model: str, workers: int, chunk_bytes: int | None,
              progress: Callable[[int, int], None] | None,
              runner: Callable[[list[logscan.Task]], Iterable[Partial]] | None,
              window: tuple[int, int] | None = None
              ) -> tuple[Partial, list[tuple[str, Partial]]]:
    """Every file scanned: (all files merged, each file's own), line numbers in place."""
    total = Partial()
    per_file: list[tuple[str, Partial]] = []
    for plan, partials in _scan(plans, model, workers, chunk_bytes, progress, runner, window):
        file_total = Partial()
        offset = plan.first_line - 1
        for partial in partials:
            lines = partial.n_lines
            file_total.merge(partial.shifted(offset, plan.name))
            offset += lines
        file_total.n_lines = offset
        per_file.append((plan.name, file_total))
        total.merge(file_total)
    return total, per_file


def max_workers() -> int:
    """Most worker processes a scan takes: 4 per core, at most
    :data:`~simulator.core.limits.MAX_WORKERS`."""
    return min(4 * (os.cpu_count() or 1), limits.MAX_WORKERS)


def _sources(files: Any) -> list[Any]:
    """``files`` as a list of paths, URLs or binary file objects; else InputError."""
    if isinstance(files, (str, Path)) or hasattr(files, "read"):
        sources = [files]
    elif isinstance(files, (list, tuple)):
        sources = list(files)
    else:
        raise InputError(f"files: expected a path, a file object or a list of them, got "
                         f"{limits.shorten(files)} ({type(files).__name__})")
    if not sources:
        raise InputError("files: give at least one log file")
    for i, source in enumerate(sources):
        if not (isinstance(source, (str, Path)) or hasattr(source, "read")):
            raise InputError(f"files[{i}]: expected a path or a file object, got "
                             f"{limits.shorten(source)} ({type(source).__name__})")
        if isinstance(source, str) and (not source.strip() or "\x00" in source):
            raise InputError(f"files[{i}]: {limits.shorten(source)} is not a file name")
    return sources


def check_sample_rate(rate: Any, name: str = "sample_rate") -> float:
    """``rate`` if it is a share in (0, 1]; else an :class:`InputError` naming ``name``."""
    if isinstance(rate, bool) or not isinstance(rate, (int, float)) \
            or not np.isfinite(rate) or not 0 < rate <= 1:
        raise InputError(f"{name}: must be a share in (0, 1] (0.01 for a 1% sample), "
                         f"got {rate!r}")
    return float(rate)


@dataclass
class _FilePlan:
    name: str
    path: str | None          # None: a file object, read here
    handle: Any
    fmt: str
    columns: tuple
    data_start: int
    first_line: int           # line number of the first data line
    records: list


def _plan(source: Any, fmt: str) -> _FilePlan:
    if hasattr(source, "read"):
        name = Path(str(getattr(source, "name", "upload"))).name
        data = source.read()
        data = data.encode("utf-8") if isinstance(data, str) else data
        return _plan_bytes(name, data, fmt)
    if logscan.is_url(source):
        path = source
        if not logscan.is_file(path):
            raise InputError(f"{path}: no such file")
    else:
        path = Path(source)
        if not path.is_file():
            raise InputError(f"{path}: no such file" if not path.exists()
                             else f"{path}: is not a file")
    kind, records = logscan.sniff(path)
    fmt = fmt if fmt != "auto" else ("usage-csv" if kind == "usage-csv" else "auto")
    columns, start, first = (), 0, 1
    if fmt == "usage-csv":
        header, start = logscan.read_header(str(path))
        columns = tuple(logscan.csv_columns(header).items())
        first = 2
    return _FilePlan(name=str(source), path=str(path), handle=None, fmt=fmt, columns=columns,
                     data_start=start, first_line=first, records=records)


def _plan_bytes(name: str, data: bytes, fmt: str) -> _FilePlan:
    lines = data.splitlines(keepends=True)
    head = next((ln for ln in lines if ln.strip()), b"").lstrip(b"\xef\xbb\xbf").strip()
    if fmt == "auto":
        fmt = "auto" if head.startswith(b"{") else "usage-csv"
    columns, first = (), 1
    records = []
    if fmt == "usage-csv":
        if not lines:
            raise InputError(f"{name}: empty file")
        try:
            header = next(csv.reader([lines[0].decode("utf-8-sig")]), [])
        except (csv.Error, UnicodeDecodeError) as exc:
            raise InputError(f"{name}: line 1 is neither a JSON request nor a CSV header "
                             f"({exc})") from None
        columns = tuple(logscan.csv_columns(header).items())
        lines, first = lines[1:], 2
    else:
        for ln in lines[:200]:
            try:
                rec = json.loads(ln)
            except ValueError:
                continue
            if isinstance(rec, dict):
                records.append(rec)
    return _FilePlan(name=name, path=None, handle=lines, fmt=fmt, columns=columns,
                     data_start=0, first_line=first, records=records)


def _model_from(plans: list[_FilePlan]) -> str | None:
    for plan in plans:
        for record in plan.records:
            found = logscan.record_model(record)
            if found:
                return found
    return None


def default_chunk_bytes(total_bytes: int, workers: int) -> int:
    """Bytes per range for ``total_bytes`` read by ``workers``: :data:`RANGES_PER_WORKER`
    ranges each, within :data:`MIN_CHUNK_BYTES` and :data:`CHUNK_BYTES`."""
    share = total_bytes // max(workers * RANGES_PER_WORKER, 1)
    return int(min(max(share, MIN_CHUNK_BYTES), CHUNK_BYTES))


def _scan(plans: list[_FilePlan], model: str, workers: int, chunk_bytes: int | None,
          progress: Callable[[int, int], None] | None,
          runner: Callable[[list[logscan.Task]], Iterable[Partial]] | None = None,
          window: tuple[int, int] | None = None
          ) -> Iterable[tuple[_FilePlan, list[Partial]]]:
    """Each file's partials, in file order, ranges of all files sharing one pool."""
    tasks: list[logscan.Task] = []
    owners: list[int] = []
    if chunk_bytes is None:
        chunk_bytes = default_chunk_bytes(
            sum(logscan.file_size(p.path) for p in plans if p.path is not None), workers)
    for i, plan in enumerate(plans):
        if plan.path is None:
            continue
        for start, end in logscan.plan_ranges(plan.path, plan.data_start, chunk_bytes):
            tasks.append(logscan.Task(path=plan.path, fmt=plan.fmt, start=start, end=end,
                                      model=model, csv_columns=plan.columns,
                                      window=window))
            owners.append(i)
    results: dict[int, list[Partial]] = {i: [] for i in range(len(plans))}
    partials = runner(tasks) if runner is not None and tasks else logscan.run_tasks(
        tasks, workers=workers, progress=progress)
    for owner, partial in zip(owners, partials):
        results[owner].append(partial)
    for i, plan in enumerate(plans):
        if plan.path is None:
            results[i] = [logscan.scan_lines(plan.handle, plan.fmt, model, dict(plan.columns),
                                             window)]
        yield plan, results[i]


def _report(total: Partial, per_file: list[tuple[str, Partial]], tok: tokens.Tokenizer,
            notes: list[str], sample_rate: float = 1.0) -> WorkloadReport:
    if not tok.exact:
        notes.append(tok.note)
    factor = 1.0 if tok.exact else tok.factor
    prefix = tuple(total.prefix or ())
    system_raw, fewshot_raw = _prefix_tokens(prefix, tok)
    hist = total.hist
    empty = (np.zeros(0, np.int64), np.zeros(0, np.int64))
    if hist.get("text", empty)[0].size:
        source = "counted"
        input_stats = TokenStats.from_histogram(
            *_scaled(hist["text"], factor, shift=system_raw + fewshot_raw))
        overhead = TokenStats.from_histogram(*hist["overhead"])
        system, fewshot = round(system_raw * factor), round(fewshot_raw * factor)
        k = overhead.mean
        prompt_mean = system + fewshot + input_stats.mean + k
        prompt_stats = _sum_stats(hist, factor)
        if total.n_with_messages < total.n_requests:
            notes.append(f"{total.n_requests - total.n_with_messages:,} requests carry no "
                         f"prompt text (billed counts only); the input tokens come from the "
                         f"{total.n_with_messages:,} that do")
    elif hist.get("prompt_billed", empty)[0].size:
        source = "billed"
        input_stats = TokenStats.from_histogram(*hist["uncached_billed"])
        prompt_stats = TokenStats.from_histogram(*hist["prompt_billed"])
        system, fewshot, k = round(_mean(hist, "cached_billed") + _mean(hist, "write_billed")), \
            0, 0.0
        prompt_mean = prompt_stats.mean
        notes.append("the logs carry billed token counts, not prompt text: the input tokens "
                     "are the whole prompt less its cached (read or written) tokens, and the "
                     "cached tokens stand for the static prefix")
    else:
        source, input_stats, prompt_stats = "none", None, None
        system = fewshot = 0
        k = prompt_mean = 0.0
    output_stats = TokenStats.from_histogram(
        *logscan.merge_histograms(_scaled(hist.get("output_counted", empty), factor),
                                  hist.get("output_billed", empty)))
    cached_share, write_share = _cache_shares(total, system + fewshot, source, notes)
    reasoning = TokenStats.from_histogram(*hist.get("reasoning_billed", empty))
    months, rpm, growth, volume_notes = _months(total, sample_rate)
    notes += volume_notes
    if total.n_requests == 0:
        notes.append("no valid request in the logs")
    return WorkloadReport(
        files=tuple(name for name, _ in per_file),
        formats={name: "+".join(sorted(p.formats)) or "none" for name, p in per_file},
        model=tok.model, encoding=tok.encoding, exact=tok.exact, note=tok.note,
        n_lines=total.n_lines, n_requests=total.n_requests, n_errors=total.n_errors,
        errors=tuple(total.errors), months=months,
        first_time=_utc(total.first_time), last_time=_utc(total.last_time),
        requests_per_month=rpm, growth_per_month=growth,
        input_tokens=input_stats, output_tokens=output_stats, prompt_tokens=prompt_stats,
        static_prefix=prefix, system_prompt_tokens=int(system), fewshot_tokens=int(fewshot),
        chat_overhead_tokens=float(k),
        static_share=float((system + fewshot) / prompt_mean) if prompt_mean else 0.0,
        input_source=source, models_seen=dict(total.models.most_common()),
        notes=tuple(notes), cached_share=cached_share, cache_write_share=write_share,
        reasoning_tokens=reasoning, sample_rate=sample_rate)


def _mean(hist: Mapping[str, Any], key: str) -> float:
    """Mean of a histogram [tokens]; 0 when it is empty."""
    values, counts = hist.get(key, (np.zeros(0), np.zeros(0)))
    n = int(np.sum(counts))
    return float(np.dot(values.astype(np.float64), counts) / n) if n else 0.0


def _cache_shares(total: Partial, static: float, source: str, notes: list[str]
                  ) -> tuple[float | None, float | None]:
    """(cached_share, cache_write_share) of the static prefix from the billed cache counts.

    Each is the mean cached (written) tokens per request that reports them over ``s + f``.
    With billed counts only, the static prefix *is* the mean read + written tokens, so the
    two shares add up to 1 and every billed token keeps its rate. Counted prefixes exclude
    their messages' chat format, which the provider caches too: a share above 1 is capped
    (the rest stays in ``k``, billed at the full rate) and noted.
    """
    if total.n_cache_reported == 0:
        return None, None
    read, written = _mean(total.hist, "cached_billed"), _mean(total.hist, "write_billed")
    if static <= 0 or read + written <= 0:
        return 0.0, 0.0
    h, w = read / static, written / static
    if h + w > 1 + 1e-9 and source != "billed":
        notes.append(f"the cached tokens per request ({read + written:,.1f}) exceed the "
                     f"counted static prefix ({static:,.0f}): the provider caches the prefix's "
                     f"chat format too; cached_share capped so that the shares add up to 1")
        scale = 1.0 / (h + w)
        h, w = h * scale, w * scale
    return min(h, 1.0), min(w, 1.0 - min(h, 1.0))


def _sum_stats(hist: Mapping[str, Any], factor: float) -> TokenStats | None:
    """Whole-prompt statistics: the prompt counts were kept per request as text + overhead."""
    if "prompt_counted" in hist:
        return TokenStats.from_histogram(*_scaled(hist["prompt_counted"], factor))
    return None


def _prefix_tokens(prefix: tuple[dict, ...], tok: tokens.Tokenizer) -> tuple[int, int]:
    """Raw text tokens of the shared prefix: (system/developer messages, the others)."""
    if not prefix:
        return 0, 0
    enc = tokens.get_encoding(tok.encoding)
    system = fewshot = 0
    for i, message in enumerate(prefix):
        parts = tokens.message_text_parts(message, f"prefix[{i}]")
        n = sum(len(enc.encode_ordinary(p)) for p in parts[1:])
        if parts[0] in SYSTEM_ROLES:
            system += n
        else:
            fewshot += n
    return system, fewshot


def _utc(seconds: float) -> datetime | None:
    return datetime.fromtimestamp(seconds, tz=UTC) if np.isfinite(seconds) else None


def _rate_words(rate: float) -> str:
    return f"{100 * rate:g}%"


def _month_label(index: int) -> str:
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _months(total: Partial, sample_rate: float = 1.0
            ) -> tuple[pd.DataFrame, float | None, float | None, list[str]]:
    """Requests per calendar month, which months the logs cover fully, the volume and growth.

    With a ``sample_rate`` below 1, ``requests`` are the logged ones and ``requests_full``
    the month's estimated full volume (logged ÷ rate); the volume is the full one."""
    columns = ["month", "requests", "complete", "growth"]
    notes: list[str] = []
    if not total.months:
        if total.n_requests:
            notes.append("no timestamps in the logs: requests per month unknown (the scenario "
                         "keeps its own volume)")
        return pd.DataFrame(columns=columns), None, None, notes
    first, last = min(total.months), max(total.months)
    index = list(range(first, last + 1))
    counts = np.array([total.months.get(m, 0) for m in index], dtype=np.int64)
    start, end = _utc(total.first_time), _utc(total.last_time)
    complete = np.ones(len(index), dtype=bool)
    complete[0] &= start.day == 1
    complete[-1] &= end.day == calendar.monthrange(end.year, end.month)[1]
    growth = np.full(len(index), np.nan)
    for i in range(1, len(index)):
        if complete[i] and complete[i - 1] and counts[i - 1] > 0:
            growth[i] = counts[i] / counts[i - 1] - 1
    months = pd.DataFrame({"month": [_month_label(m) for m in index], "requests": counts,
                           "complete": complete, "growth": growth})
    if sample_rate < 1:
        months.insert(2, "requests_full", counts / sample_rate)
        notes.append(f"the logs are a {_rate_words(sample_rate)} sample: requests per month "
                     f"are the logged ones ÷ {sample_rate:g}")
    full = counts[complete]
    if full.size:
        rpm = float(full[-1])
    else:
        days = max((total.last_time - total.first_time) / 86_400, 1.0)
        rpm = total.n_timed / days * DAYS_PER_MONTH
        notes.append(f"no complete calendar month in the logs: the volume is the observed rate "
                     f"over {days:.1f} days scaled to an average month")
    rpm /= sample_rate
    growth_rate = None
    if full.size >= 2 and full[0] > 0:
        growth_rate = float((full[-1] / full[0]) ** (1 / (full.size - 1)) - 1)
        growth_rate = min(max(growth_rate, -0.99), 10.0)
    elif full.size < 2:
        notes.append("fewer than two complete months: growth not measured")
    return months, rpm, growth_rate, notes
