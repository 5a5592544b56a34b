"""Prices for ftroi: fine-tuning offerings, inference rates, GPU hours and batch discounts.

The numbers live in CSV files under ``pricing/data/`` (each row with its ``source_url`` and
``checked_on`` date) and, for inference prices the files lack, in the offline snapshot of the
``genai-prices`` package. Users override any row with their own CSV
(:func:`load_price_table`).

>>> from pricing import finetune_rates
>>> r = finetune_rates("openai", "gpt-4.1-mini")      # doctest: +SKIP
>>> r.train_usd_per_mtok, r.source_url                  # doctest: +SKIP
"""

from __future__ import annotations

from datetime import date

from .names import ModelId, parse_model_id
from .schema import PriceError, UnknownModelError
from .table import (
    HOURS_PER_MONTH,
    NO_LIFECYCLE,
    FinetuneRates,
    GpuRate,
    InferenceRates,
    Lifecycle,
    PriceTable,
    default_table,
    genai_prices_version,
    load_price_files,
    load_price_table,
    price_file_kind,
)

__all__ = [
    "HOURS_PER_MONTH",
    "NO_LIFECYCLE",
    "FinetuneRates",
    "GpuRate",
    "InferenceRates",
    "Lifecycle",
    "ModelId",
    "PriceError",
    "PriceTable",
    "UnknownModelError",
    "default_table",
    "finetune_rates",
    "genai_prices_version",
    "gpu_rate",
    "inference_rates",
    "load_price_files",
    "load_price_table",
    "parse_model_id",
    "price_file_kind",
]


def inference_rates(model: str, as_of: date | None = None, *,
                    provider: str | None = None) -> InferenceRates:
    """Per-token prices of calling ``model`` [USD per 1M tokens], from the shipped table, with
    its lifecycle dates (``.serving_ends``, ``.lifecycle``)."""
    return default_table().inference_rates(model, provider=provider, as_of=as_of)


def finetune_rates(provider: str, model: str, as_of: date | None = None, *,
                   method: str | None = None) -> FinetuneRates:
    """The fine-tuning offering of ``provider`` for base ``model``, from the shipped table,
    with its lifecycle dates (``.training_ends``, ``.serving_ends``, ``.lifecycle``)."""
    return default_table().finetune_rates(provider, model, as_of=as_of, method=method)


def gpu_rate(gpu: str, provider: str | None = None, as_of: date | None = None) -> GpuRate:
    """On-demand price of one GPU [USD/h], from the shipped table."""
    return default_table().gpu_rate(gpu, provider=provider, as_of=as_of)
