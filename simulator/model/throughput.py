"""How many tokens a GPU serves or trains per second, by GPU type and model size (README,
Method: self-hosting).

The figures are published benchmarks, one row each in ``simulator/data/gpu_throughput.csv``:

=================== ===========================================================================
column              meaning
=================== ===========================================================================
gpu                 GPU type, spelt as in ``pricing/data/gpus.csv`` (``H100 80GB``)
task                ``serve`` (inference) or ``train`` (LoRA fine-tuning)
params_b_min/max    the model-size band the row covers, ``min < size ≤ max`` [billion params]
tokens_per_second   throughput of the run as published, on ``gpus`` GPUs together [tokens/s]
gpus                GPUs the published figure covers: the run's tensor-parallel size for a
                    serving total (919.73 tokens/s on 2 H100), 1 where the source publishes a
                    per-GPU figure (NeMo's training tables, measured on 8 GPUs)
precision           the weights' precision in the run (``bf16``, ``fp16``, ``fp8``, ``fp4`` …)
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
generates 4,000 tokens/s processes 8,000), and divided by the run's ``gpus``:
:attr:`Throughput.tokens_per_second` is that input-plus-output figure of one GPU [tokens/s];
:attr:`Throughput.published_tokens_per_second` the one printed.

Replicas
    A serving replica is the GPUs one copy of the model needs (:func:`gpus_per_replica`):
    the weights at the serving precision, ``W = params × bytes per parameter`` [GB]
    (:data:`BYTES_PER_PARAM`: FP16/BF16 2, FP8/INT8 1, FP4/INT4 0.5), plus a KV-cache reserve
    of ``kv_reserve_share × W``, must fit in ``n × memory × 0.9`` (vLLM's default
    ``gpu_memory_utilization``, :data:`GPU_MEMORY_UTILIZATION`; the rest is the engine's
    own overhead: CUDA graphs, activations), with ``n`` the smallest tensor-parallel size
    the engines use (:data:`TENSOR_PARALLEL_SIZES`: 1, 2, 4, 8). A replica of ``n`` GPUs
    serves ``n × tokens_per_second`` [tokens/s]: the per-GPU share of the run measured,
    times ``n``. The default reserve (10 % of the weights) is about 14 GB for a 70B model at
    BF16, room for some 43,000 tokens of KV cache at Llama 3 70B's 320 KB per token
    (2 × 80 layers × 8 KV heads × 128 × 2 bytes); with it the rule reproduces the smallest
    settings of the runs in the table (70B at FP8 on 2 H100 but 1 H200, 70B at FP16 on 4
    A100 80GB, a 32B model at BF16 on 1 H100). It gives the fewest GPUs that hold the
    model, not a vendor's recommended headroom: NVIDIA's RAG operator lists 8 L40S (4 A100
    or H100 80GB) for Llama-2-70B at FP16 under vLLM
    (https://docs.nvidia.com/ai-enterprise/rag-llm-operator/24.3.0/platform-support.html);
    raise ``selfhost.kv_reserve_share`` or pin ``selfhost.gpus_per_replica`` for more room.

:func:`load_throughput` refuses a file with a missing or unknown column, a bad number, an
empty band, overlapping bands of one GPU and task, a row without source, or an output-token
figure without its request shape, naming file, row and column. :func:`gpu_throughput` finds
the row of a GPU, task and model size; where none is published it raises
:class:`~simulator.core.errors.InputError` naming the field to pin.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources
from pathlib import Path

from ..core.errors import InputError

COLUMNS = ("gpu", "task", "params_b_min", "params_b_max", "tokens_per_second", "gpus",
           "precision", "counted", "input_tokens", "output_tokens", "measure", "engine",
           "source_url", "checked_on", "comment")
TASKS = ("serve", "train")
COUNTED = ("output", "total")
BYTES_PER_PARAM = {"fp32": 4.0, "bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0,
                   "fp4": 0.5, "int4": 0.5}
"""Bytes of one weight at each serving precision [bytes/parameter]."""
PRECISIONS = tuple(BYTES_PER_PARAM)
TENSOR_PARALLEL_SIZES = (1, 2, 4, 8)
"""GPUs per replica the serving engines (vLLM, TensorRT-LLM, SGLang) shard a model over: the
tensor-parallel size must divide the attention heads, so powers of two up to one 8-GPU
node."""
GPU_MEMORY_UTILIZATION = 0.9
"""Share of a GPU's memory the engine may use for weights and KV cache: vLLM's default
``gpu_memory_utilization`` (https://docs.vllm.ai/en/stable/configuration/engine_args.html)."""
DEFAULT_KV_RESERVE_SHARE = 0.1
"""KV-cache reserve on top of the weights, as a share of the weights' memory [1]."""
PIN = {"serve": "selfhost.serve_tokens_per_second", "train": "selfhost.train_tokens_per_second"}
"""The scenario field that replaces the table's figure, per task."""


@dataclass(frozen=True, kw_only=True)
class Throughput:
    """One published figure for one ``gpu`` and ``task`` on models of ``params_b_min < size
    ≤ params_b_max`` billion parameters.

    tokens_per_second : input and output tokens one GPU processes per second (the run's
        figure divided by its ``gpus``), the unit of ``selfhost.*_tokens_per_second``
        [tokens/s]
    published_tokens_per_second : the figure as published, counting ``counted`` tokens, for
        ``gpus`` GPUs together [tokens/s]
    gpus : GPUs the published figure covers [GPUs]
    precision : the weights' precision in the run
    input_tokens, output_tokens : the benchmark's tokens per request (None when not needed)
    """

    gpu: str
    task: str
    params_b_min: float
    params_b_max: float
    published_tokens_per_second: float
    counted: str
    gpus: int = 1
    precision: str = "bf16"
    input_tokens: float | None
    output_tokens: float | None
    measure: str
    engine: str
    source_url: str
    checked_on: date
    comment: str = ""

    @property
    def tokens_per_second(self) -> float:
        per_gpu = self.published_tokens_per_second / self.gpus
        if self.counted == "total":
            return per_gpu
        return per_gpu * (self.input_tokens + self.output_tokens) / self.output_tokens

    def covers(self, params_b: float) -> bool:
        return self.params_b_min < params_b <= self.params_b_max

    def conversion(self) -> str:
        """How :attr:`tokens_per_second` follows from the published figure, in words."""
        on = "" if self.gpus == 1 else f" on {self.gpus} GPUs"
        per = "" if self.gpus == 1 else f" ÷ {self.gpus} GPUs"
        if self.counted == "total":
            if self.gpus == 1:
                return f"{self.published_tokens_per_second:,.0f} tokens/s as published"
            return (f"{self.published_tokens_per_second:,.2f} tokens/s{on}{per} = "
                    f"{self.tokens_per_second:,.0f} tokens/s per GPU")
        return (f"{self.published_tokens_per_second:,.{0 if self.gpus == 1 else 2}f} output "
                f"tokens/s{on} at {self.input_tokens:,.0f} input / {self.output_tokens:,.0f} "
                f"output tokens per request{per} = {self.tokens_per_second:,.0f} input + "
                f"output tokens/s per GPU")


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
    gpus = number("gpus", positive=True)
    if gpus != int(gpus):
        raise InputError(f"{where}, column gpus: must be a whole number of GPUs, got "
                         f"{raw.get('gpus')}")
    precision = text("precision").lower()
    if precision not in PRECISIONS:
        raise InputError(f"{where}, column precision: must be one of {', '.join(PRECISIONS)}, "
                         f"got {precision!r}")
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
                      counted=counted, gpus=int(gpus), precision=precision,
                      input_tokens=shape["input_tokens"],
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

    Raises :class:`~simulator.core.errors.InputError` naming the field to pin when the table has
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


def replica_memory_gb(params_b, precision: str, kv_reserve_share=DEFAULT_KV_RESERVE_SHARE):
    """Memory one copy of the model needs to serve, ``W (1 + kv_reserve_share)`` with
    ``W = params_b × bytes per parameter`` [GB] (1e9 parameters of 1 byte are 1 GB).

    >>> replica_memory_gb(70, "bf16")   # 140 GB of weights + 14 GB of KV cache
    154.0
    """
    return params_b * BYTES_PER_PARAM[precision] * (1.0 + kv_reserve_share)


def gpus_per_replica(params_b: float, precision: str, memory_gb: float,
                     kv_reserve_share: float = DEFAULT_KV_RESERVE_SHARE) -> int | None:
    """The smallest tensor-parallel size ``n`` in :data:`TENSOR_PARALLEL_SIZES` with
    ``W (1 + kv_reserve_share) ≤ n × memory_gb × 0.9`` [GPUs]; None when not even 8 GPUs hold
    the model.

    >>> gpus_per_replica(70, "bf16", 48)    # 154 GB > 2 × 43.2, ≤ 4 × 43.2
    4
    >>> gpus_per_replica(70, "fp8", 141), gpus_per_replica(405, "bf16", 48)
    (1, None)
    """
    need = replica_memory_gb(params_b, precision, kv_reserve_share)
    for n in TENSOR_PARALLEL_SIZES:
        if need <= n * memory_gb * GPU_MEMORY_UTILIZATION * (1.0 + 1e-12):
            return n
    return None


def too_big_message(params_b: float, precision: str, gpu: str, memory_gb: float,
                    kv_reserve_share: float, others: dict[str, float]) -> str:
    """The one-line refusal of a model that no replica of ``gpu`` holds, naming the GPU
    types of ``others`` (name -> memory [GB]) that hold it and on how many GPUs."""
    need = replica_memory_gb(params_b, precision, kv_reserve_share)
    top = TENSOR_PARALLEL_SIZES[-1]
    fits = sorted((n, mem, name) for name, mem in others.items()
                  if (n := gpus_per_replica(params_b, precision, mem, kv_reserve_share)))
    instead = (f"; {fits[0][2]} holds it on {fits[0][0]} GPU{'s' if fits[0][0] > 1 else ''}"
               if fits else "; no GPU in the table holds it")
    return (f"selfhost.model_params_b: a {params_b:g}B model at {precision} needs "
            f"{need:,.1f} GB ({params_b * BYTES_PER_PARAM[precision]:,.1f} GB of weights + "
            f"{kv_reserve_share:.0%} KV-cache reserve), more than {top} × {gpu} hold ({top} × "
            f"{memory_gb:g} GB × {GPU_MEMORY_UTILIZATION:g} = "
            f"{top * memory_gb * GPU_MEMORY_UTILIZATION:,.1f} GB){instead}, or lower "
            f"selfhost.precision")


def size_bands(table: tuple[Throughput, ...] | None = None) -> tuple[tuple[float, float], ...]:
    """The model-size bands of the serving rows, in size order [billion parameters]."""
    rows = load_throughput() if table is None else table
    return tuple(sorted({(r.params_b_min, r.params_b_max) for r in rows if r.task == "serve"}))


def replica_frame(prices, precisions=("bf16", "fp8", "fp4")) -> list[dict]:
    """One row per GPU type of ``prices`` (a :class:`pricing.PriceTable`) with a
    ``memory_gb`` and per serving size band: the GPUs one replica needs for the band's
    largest model at each of ``precisions`` (None: not even 8 hold it), the published
    per-GPU serving throughput where a row exists [input + output tokens/s], the cheapest
    price of one GPU [USD/h] and of one BF16 replica [USD/h]."""
    out = []
    for gpu in prices.gpu_names():
        memory = prices.gpu_memory_gb(gpu)
        if memory is None:
            continue
        usd = prices.gpu_rate(gpu).usd_per_hour
        for lo, hi in size_bands():
            row = {"gpu": gpu, "memory_gb": memory, "params_b": f"{lo:g}–{hi:g}"}
            for prec in precisions:
                n = gpus_per_replica(hi, prec, memory)
                row[f"gpus_{prec}"] = "-" if n is None else n
            try:
                row["tokens_per_s_per_gpu"] = round(gpu_throughput(gpu, "serve", hi)
                                                    .tokens_per_second)
            except InputError:
                row["tokens_per_s_per_gpu"] = ""
            row["gpu_usd_per_hour"] = usd
            first = row[f"gpus_{precisions[0]}"]
            row[f"replica_usd_per_hour_{precisions[0]}"] = "" if first == "-" \
                else round(first * usd, 4)
            out.append(row)
    return out
