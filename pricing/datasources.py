"""Facts about where training data comes from: managed distillation products and the terms
on training with a model's outputs.

Two shipped files, read with the same strict reader as the price files
(:func:`pricing.schema.read_price_csv`: unknown columns refused, file, row and column in every
message, each row with its ``source_url`` and ``checked_on`` date):

``pricing/data/distillation.csv``
    Providers that sell distillation as a managed product (:data:`~pricing.schema.
    DISTILLATION_COLUMNS`).
``pricing/data/output_terms.csv``
    Which providers' terms or licences restrict training other models on their outputs
    (:data:`~pricing.schema.OUTPUT_TERMS_COLUMNS`).
"""

from __future__ import annotations

import fnmatch
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

from .schema import (
    DISTILLATION_COLUMNS,
    DISTILLATION_KEY,
    OUTPUT_TERMS_COLUMNS,
    OUTPUT_TERMS_KEY,
    read_price_csv,
)

FILES = {
    "distillation": ("distillation.csv", DISTILLATION_COLUMNS, DISTILLATION_KEY),
    "output_terms": ("output_terms.csv", OUTPUT_TERMS_COLUMNS, OUTPUT_TERMS_KEY),
}


def read_rows(kind: str, path: str | Path | None = None) -> list[dict[str, Any]]:
    """Validated rows of the shipped ``kind`` file (``distillation``, ``output_terms``), or
    of ``path`` with the same columns."""
    filename, columns, key = FILES[kind]
    if path is None:
        source = Path(str(resources.files("pricing") / "data" / filename))
        return read_price_csv(source, columns, key, kind=kind, name=f"pricing/data/{filename}")
    return read_price_csv(path, columns, key, kind=kind)


@cache
def _shipped(kind: str) -> tuple[dict[str, Any], ...]:
    return tuple(read_rows(kind))


def distillation_rows() -> tuple[dict[str, Any], ...]:
    """The shipped managed-distillation rows."""
    return _shipped("distillation")


@dataclass(frozen=True, kw_only=True)
class OutputTerms:
    """What a provider's terms say about training models on a model's outputs.

    restriction : ``competing_models``, ``other_models``, ``attribution`` or ``none``
    terms : the document, in words; source_url, checked_on : where and when it was read
    """

    provider: str
    model_pattern: str
    restriction: str
    terms: str
    source_url: str
    checked_on: date | None
    comment: str = ""

    @property
    def restricts(self) -> bool:
        """True when the terms limit what a model trained on the outputs may be or do."""
        return self.restriction != "none"

    def warning(self, model: str) -> str:
        """One sentence for a teacher scenario naming this model (empty when unrestricted)."""
        scope = {
            "competing_models": "to develop models that compete with the provider",
            "other_models": "to improve any other large language model",
            "attribution": "unless the trained model carries the licence's name and terms",
        }.get(self.restriction)
        if scope is None:
            return ""
        return (f"The teacher {model}: {self.terms} forbid using its outputs {scope} (checked "
                f"{self.checked_on.isoformat() if self.checked_on else 'undated'}, "
                f"{self.source_url}); make sure the fine-tuned model is allowed, or that you have "
                f"an agreement that allows it.")


def output_terms(provider: str | None, model: str, *, as_of: date | None = None,
                 rows: Any = None) -> OutputTerms | None:
    """The terms on training with ``model``'s outputs when served by ``provider`` (None: the
    table has none). The most specific row wins (a named provider over ``*``, a longer model
    pattern over a shorter one), then the latest ``effective_from`` on or before ``as_of``.
    """
    name = model.lower()
    host = (provider or "").lower()
    found = []
    for row in (_shipped("output_terms") if rows is None else rows):
        if row["provider"] not in ("*", host):
            continue
        if not (fnmatch.fnmatchcase(name, row["model_pattern"])
                or fnmatch.fnmatchcase(name.rsplit("/", 1)[-1], row["model_pattern"])):
            continue
        if as_of is not None and row["effective_from"] > as_of:
            continue
        found.append(row)
    if not found:
        return None
    best = max(found, key=lambda r: (r["provider"] != "*", len(r["model_pattern"]),
                                     r["effective_from"]))
    return OutputTerms(provider=best["provider"], model_pattern=best["model_pattern"],
                       restriction=best["restriction"], terms=best["terms"],
                       source_url=best["source_url"], checked_on=best["checked_on"],
                       comment=best["comment"] or "")
