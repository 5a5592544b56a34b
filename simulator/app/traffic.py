"""The app's "Your traffic" upload: request logs in, workload widget values out.

Everything here is plain Python for ``app.py`` to call (no streamlit): reading an uploaded
log (:func:`report_from_upload`), the widget values it sets (:func:`widget_values`), the words
saying where they came from (:func:`traffic_caption`) and the histogram rows a chart draws
(:func:`histogram_frame`).
"""

from __future__ import annotations

import dataclasses
import tempfile
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pandas as pd

from ..traffic.logscan import LogIssue
from ..traffic.workload import TokenStats, WorkloadReport, from_logs
from .state import FIELD_BY_PATH

WORKLOAD_WIDGETS = ("workload.requests_per_month", "workload.growth_per_month",
                    "workload.input_tokens", "workload.output_tokens")
PROMPT_WIDGETS = ("prompt.system_prompt_tokens", "prompt.fewshot_tokens")
CACHE_WIDGETS = ("prompt.cached_share",)
NOT_IN_THE_APP = ("prompt.reasoning_tokens", "prompt.cache_write_share")
"""Measured fields the app has no widget for: the caption names them and their values."""


def report_from_upload(data: bytes, name: str,
                       progress: Callable[[int, int], None] | None = None) -> WorkloadReport:
    """Measure an uploaded log (its bytes and file name), in this process, range by range.

    ``progress(done_bytes, total_bytes)`` is called after each 4 MB range; bad lines are
    named by the upload's own file name.
    """
    name = Path(name).name or "upload"
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = from_logs(path, workers=1, chunk_bytes=4 * 2**20, progress=progress)
    return dataclasses.replace(
        report, files=(name,), formats={name: next(iter(report.formats.values()))},
        errors=tuple(LogIssue(name, e.line, e.message) for e in report.errors))


def widget_values(report: WorkloadReport, *, numbers_mode: bool) -> dict[str, float | int]:
    """Widget key -> value for the fields the logs measured (clamped to each widget's range).

    The static prompt's token counts are set only in the app's "Numbers" mode; the cached
    share of the static prefix whenever the logs report cached tokens.
    """
    values = report.scenario_values()
    keys = WORKLOAD_WIDGETS + CACHE_WIDGETS + (PROMPT_WIDGETS if numbers_mode else ())
    return {key: FIELD_BY_PATH[key].to_widget(values[key]) for key in keys if key in values}


def traffic_caption(report: WorkloadReport) -> str:
    """One paragraph: which fields came from which logs, and the caveats."""
    parts = [f"From your logs ({', '.join(report.files)}: {report.n_requests:,} requests"
             + (f", {report.n_errors:,} bad lines left out" if report.n_errors else "") + ")."]
    if report.requests_per_month is not None:
        growth = ("not measured" if report.growth_per_month is None
                  else f"{100 * report.growth_per_month:+.1f}%/month")
        parts.append(f"Requests in month 1: {report.requests_per_month:,.0f} "
                     f"(the last complete month); growth {growth}.")
    for label, stats in (("User input", report.input_tokens), ("Output", report.output_tokens)):
        if stats is not None:
            parts.append(f"{label}: mean {stats.mean:,.1f} tokens (p5 {stats.p5:,.0f}, "
                         f"p50 {stats.p50:,.0f}, p95 {stats.p95:,.0f}).")
    if report.input_source == "counted":
        parts.append(f"Static prefix shared by every request: system {report.system_prompt_tokens:,}"
                     f" + few-shot {report.fewshot_tokens:,} tokens, "
                     f"{100 * report.static_share:.0f}% of the prompt.")
    if report.cached_share is not None:
        parts.append(f"Prompt cache: {100 * report.cached_share:.0f}% of the static prefix "
                     f"billed as cached (set below), {100 * (report.cache_write_share or 0):.0f}%"
                     f" as cache writes.")
    if report.reasoning_tokens is not None:
        parts.append(f"Reasoning: {report.reasoning_tokens.mean:,.1f} hidden tokens per "
                     f"request, billed as output.")
    values = report.scenario_values()
    unset = [f"{k} = {values[k]:g}" for k in NOT_IN_THE_APP if values.get(k)]
    if unset:
        parts.append(f"The app has no field for {', '.join(unset)}: write them with "
                     f"`ftroi workload --to-scenario` and run that scenario to include them.")
    parts += [f"Note: {n}" for n in report.notes]
    return " ".join(parts)


def histogram_frame(stats: TokenStats | None, bins: int = 30) -> pd.DataFrame:
    """Requests per token-count bin: columns ``tokens`` (the bin's lower edge) and
    ``requests``; empty without statistics."""
    if stats is None:
        return pd.DataFrame({"tokens": [], "requests": []})
    edges = np.unique(np.linspace(stats.min, stats.max + 1, bins + 1).astype(np.int64))
    if edges.size < 2:
        edges = np.array([stats.min, stats.min + 1])
    counts, _ = np.histogram(stats.values, bins=edges, weights=stats.counts)
    return pd.DataFrame({"tokens": edges[:-1], "requests": counts.astype(np.int64)})
