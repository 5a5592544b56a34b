"""The project lints clean: ``ruff check .`` from the repository root, with the settings in
pyproject.toml, finds nothing. A finding fails the test with ruff's own report (file, line,
rule and message), so the fix is in front of whoever broke it. ruff comes with the ``test``
extra, which CI installs."""

from __future__ import annotations

import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def ruff(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    """``ruff check`` run by this interpreter, without writing a cache into the checkout."""
    return subprocess.run([sys.executable, "-m", "ruff", "check", "--no-cache",
                           "--output-format", "concise", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300, check=False)


def test_ruff_finds_nothing_in_the_repository():
    out = ruff(".")
    assert "No module named ruff" not in out.stderr, \
        'ruff is not installed: pip install -e ".[test]"'
    assert out.returncode == 0, f"ruff check . found problems:\n{out.stdout}{out.stderr}"
    assert "All checks passed!" in out.stdout


def test_the_project_settings_catch_a_closure_over_a_loop_variable(tmp_path):
    # The lint test is not vacuous: with the project's settings, ruff reports a lambda that
    # reads a loop variable (the benchmarks' bug class) by file, line and rule.
    bad = tmp_path / "bad.py"
    bad.write_text(textwrap.dedent("""\
        def timers(sizes):
            return [lambda: n * 2 for n in sizes]
        """))
    out = ruff("--config", str(ROOT / "pyproject.toml"), bad.name, cwd=tmp_path)
    assert out.returncode == 1, out.stdout + out.stderr
    assert "bad.py:2:" in out.stdout and "B023" in out.stdout, out.stdout
