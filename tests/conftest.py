"""Shared fixtures. Hypothesis strategies live in tests/strategies.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import settings

# Let tests import the shared strategies module as ``strategies``.
sys.path.insert(0, str(Path(__file__).parent))

settings.register_profile("ci", deadline=None, max_examples=60)
settings.register_profile("dev", deadline=None, max_examples=30)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
