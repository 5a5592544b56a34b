"""ftroi's core: token counting, the cost model, break-even, uncertainty and reports."""

from __future__ import annotations

from .errors import InputError

__all__ = ["InputError"]
