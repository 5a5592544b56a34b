"""Shared fixtures. Hypothesis strategies live in tests/strategies.py."""

from __future__ import annotations

import os
import sys
from pathlib import Path

from hypothesis import settings

# Let tests import the shared strategies module as ``strategies``, and a test module's
# generators from another layer's folder (``from test_workload import chat_log``).
sys.path.insert(0, str(Path(__file__).parent))
for _folder in sorted(Path(__file__).parent.iterdir()):
    if _folder.is_dir() and any(_folder.glob("test_*.py")):
        sys.path.append(str(_folder))

settings.register_profile("ci", deadline=None, max_examples=60)
settings.register_profile("dev", deadline=None, max_examples=30)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
