"""How many tokens a GPU serves or trains per second, by GPU type and model size (README,
Method: self-hosting).

The figures are published benchmarks, one row each in ``simulator/data/gpu_throughput.csv``:

=================== ===========================================================================
column              meaning
=================== ===========================================================================
gpu                 GPU type, spelt as in ``pricing/data/gpus.csv`` (``H100 80GB``)
task                ``serve`` (inference) or ``train`` (LoRA fine-tuning)
params_b_min/max    the model-size band the row covers, ``min < size ≤ max`` [billion params]
tokens_per_second   throughput of one GPU as published [tokens/s]
counted             which tokens the figure counts: ``output`` (generated tokens only, the
                    usual serving figure) or ``total`` (input and output; training rows)
input_tokens        the benchmark's request shape: input and output tokens per request;
output_tokens       required where ``counted`` is ``output``, to convert the figure
measure             what was measured (output tokens, training tokens, at which concurrency)
engine              the serving or training stack (vLLM, NVIDIA NIM, NeMo …)
source_url          where the figure is published
checked_on          the day the source was read (YYYY-MM-DD)
comment             the benchmark's setup and how the row's figure follows from it
=================== ===========================================================================

The cost model counts a self-hosted request as ``s_ft + u + k + o`` tokens, input and output
together, so a serving figure that counts output tokens only is converted with the
benchmark's own request shape: ``total = output × (input_tokens + output_tokens) /
output_tokens`` (a benchmark of 1,000 input and 1,000 output tokens per request that
generates 4,000 tokens/s processes 8,000). :attr:`Throughput.tokens_per_second` is that
input-plus-output figure; :attr:`Throughput.published_tokens_per_second` the one printed.

:func:`load_throughput` refuses a file with a missing or unknown column, a bad number, an
empty band, overlapping bands of one GPU and task, a row without source, or an output-token
figure without its request shape, naming file, row and column. :func:`gpu_throughput` finds
the row of a GPU, task and model size; where none is published it raises
:class:`~simulator.errors.InputError` naming the field to pin.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from .errors import InputError

COLUMNS = ("gpu", "task", "params_b_min", "params_b_max", "tokens_per_second", "counted",
           "input_tokens", "output_tokens", "measure", "engine", "source_url", "checked_on",
           "comment")
TASKS = ("serve", "train")
COUNTED = ("output", "total")
PIN = {"serve": "selfhost.serve_tokens_per_second", "train": "selfhost.train_tokens_per_second"}
"""The scenario field that replaces the table's figure, per task."""


@dataclass(frozen=True, kw_only=True)
class Throughput:
    """One published figure for one ``gpu`` and ``task`` on models of ``params_b_min < size
    ≤ params_b_max`` billion parameters.

    tokens_per_second : input and output tokens one GPU processes per second, the unit of
        ``selfhost.*_tokens_per_second`` [tokens/s]
    published_tokens_per_second : the figure as published, counting ``counted`` tokens
        [tokens/s]
    input_tokens, output_tokens : the benchmark's tokens per request (None when not needed)
    """

    gpu: str
    task: str
    params_b_min: float
    params_b_max: float
    published_tokens_per_second: float
    counted: str
    input_tokens: float | None
    output_tokens: float | None
    measure: str
    engine: str
    source_url: str
    checked_on: date
    comment: str = ""

    @property
    def tokens_per_second(self) -> float:
        if self.counted == "total":
            return self.published_tokens_per_second
        return (self.published_tokens_per_second * (self.input_tokens + self.output_tokens)
                / self.output_tokens)

    def covers(self, params_b: float) -> bool:
        return self.params_b_min < params_b <= self.params_b_max

    def conversion(self) -> str:
        """How :attr:`tokens_per_second` follows from the published figure, in words."""
        if self.counted == "total":
            return f"{self.published_tokens_per_second:,.0f} tokens/s as published"
        return (f"{self.published_tokens_per_second:,.0f} output tokens/s at "
                f"{self.input_tokens:,.0f} input / {self.output_tokens:,.0f} output tokens per "
                f"request = {self.tokens_per_second:,.0f} input + output tokens/s")


def load_throughput(path: str | Path | None = None) -> tuple[Throughput, ...]:
    """Read and check a throughput table (default: the shipped one)."""
    if path is None:
        return _shipped()
    return _parse(Path(path).read_text(encoding="utf-8"), str(path))


@lru_cache(maxsize=1)
def _shipped() -> tuple[Throughput, ...]:
    text = (resources.files("simulator") / "data" / "gpu_throughput.csv").read_text(
        encoding="utf-8")
    return _parse(text, "simulator/data/gpu_throughput.csv")


def _parse(text: str, name: str) -> tuple[Throughput, ...]:
    reader = csv.DictReader(text.splitlines())
    header = tuple(reader.fieldnames or ())
    unknown = [c for c in header if c not in COLUMNS]
    missing = [c for c in COLUMNS if c not in header]
    if unknown or missing:
        raise InputError(f"{name}: " + "; ".join(
            ([f"unknown column(s) {', '.join(unknown)}"] if unknown else [])
            + ([f"missing column(s) {', '.join(missing)}"] if missing else [])))
    rows = []
    for line, raw in enumerate(reader, start=2):
        where = f"{name}, row {line}"
        rows.append(_row(raw, where))
    for i, a in enumerate(rows):
        for b in rows[i + 1:]:
            if (a.gpu, a.task) == (b.gpu, b.task) and a.params_b_min < b.params_b_max \
                    and b.params_b_min < a.params_b_max:
                raise InputError(f"{name}: {a.gpu} {a.task}: the bands {a.params_b_min:g}–"
                                 f"{a.params_b_max:g} and {b.params_b_min:g}–"
                                 f"{b.params_b_max:g} billion parameters overlap")
    return tuple(rows)


def _row(raw: dict, where: str) -> Throughput:
    def text(col: str, required: bool = True) -> str:
        value = (raw.get(col) or "").strip()
        if required and not value:
            raise InputError(f"{where}, column {col}: is empty")
        return value

    def number(col: str, *, positive: bool) -> float:
        value = text(col)
        try:
            x = float(value)
        except ValueError:
            raise InputError(f"{where}, column {col}: not a number: {value!r}") from None
        if not math.isfinite(x) or x < 0 or (positive and x == 0):
            raise InputError(f"{where}, column {col}: must be "
                             f"{'> 0' if positive else '≥ 0'}, got {value}")
        return x

    task = text("task")
    if task not in TASKS:
        raise InputError(f"{where}, column task: must be one of {', '.join(TASKS)}, got {task!r}")
    lo, hi = number("params_b_min", positive=False), number("params_b_max", positive=True)
    if hi <= lo:
        raise InputError(f"{where}, column params_b_max: must exceed params_b_min "
                         f"({lo:g}), got {hi:g}")
    counted = text("counted")
    if counted not in COUNTED:
        raise InputError(f"{where}, column counted: must be one of {', '.join(COUNTED)}, got "
                         f"{counted!r}")
    if task == "train" and counted != "total":
        raise InputError(f"{where}, column counted: a training figure counts every token "
                         f"(total), got {counted!r}")
    shape = {}
    for col in ("input_tokens", "output_tokens"):
        shape[col] = number(col, positive=col == "output_tokens") \
            if text(col, required=counted == "output") else None
    published = number("tokens_per_second", positive=True)
    url = text("source_url")
    if not url.startswith("https://"):
        raise InputError(f"{where}, column source_url: must be an https:// link, got {url!r}")
    try:
        checked = date.fromisoformat(text("checked_on"))
    except ValueError:
        raise InputError(f"{where}, column checked_on: expected YYYY-MM-DD, got "
                         f"{raw.get('checked_on')!r}") from None
    return Throughput(gpu=text("gpu"), task=task, params_b_min=lo, params_b_max=hi,
                      published_tokens_per_second=published,
                      counted=counted, input_tokens=shape["input_tokens"],
                      output_tokens=shape["output_tokens"],
                      measure=text("measure"), engine=text("engine"), source_url=url,
                      checked_on=checked, comment=text("comment", required=False))


def gpu_throughput(gpu: str, task: str, params_b: float,
                   table: tuple[Throughput, ...] | None = None) -> Throughput:
    """The published throughput of one ``gpu`` for ``task`` (``serve``/``train``) on a model
    of ``params_b`` billion parameters.

    >>> row = gpu_throughput("H100 80GB", "serve", 8)
    >>> row.published_tokens_per_second, row.tokens_per_second   # 1,000 in / 1,000 out
    (15244.78, 30489.56)

    Raises :class:`~simulator.errors.InputError` naming the field to pin when the table has
    no such row.
    """
    rows = load_throughput() if table is None else table
    wanted = gpu.strip().lower()
    for row in rows:
        if row.gpu.lower() == wanted and row.task == task and row.covers(params_b):
            return row
    known = [f"{lo:g}–{hi:g}B" for lo, hi in sorted({(r.params_b_min, r.params_b_max)
                                                      for r in rows if r.gpu.lower() == wanted
                                                      and r.task == task})]
    have = f" (published for {', '.join(known)})" if known else ""
    kind = "serving" if task == "serve" else "training"
    raise InputError(f"{PIN[task]}: no published {kind} throughput for {gpu} with a "
                     f"{params_b:g}B-parameter model in gpu_throughput.csv{have}; set "
                     f"{PIN[task]} (tokens/s of one GPU) or pick another selfhost.gpu or "
                     f"selfhost.model_params_b")
