"""Errors the user can act on. Their messages name the field, line or value at fault."""

from __future__ import annotations


class InputError(ValueError):
    """Bad input from the user: a scenario field, a prompt, a dataset, a CLI argument."""
