"""The README as a newcomer uses it: every command-line and Python example runs as written
(from the checkout's top directory, after the install command), and every link it makes
inside the repository exists."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def blocks(language: str, section: str) -> list[str]:
    """The ```language blocks between the ``## section`` heading and the next ``## ``."""
    start = README.index(f"\n## {section}\n")
    end = README.find("\n## ", start + 1)
    part = README[start:end if end > 0 else None]
    return re.findall(rf"```{language}\n(.*?)```", part, flags=re.DOTALL)


@pytest.fixture
def checkout(tmp_path):
    """A scratch top directory like the checkout's: examples/ and the .venv running the tests."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return tmp_path


@pytest.mark.skipif(not (Path(sys.executable).parent / "activate").exists(),
                    reason="the tests do not run inside a virtual environment")
def test_every_command_line_example_runs(checkout):
    (script,) = blocks("bash", "Command line")
    assert script.startswith(". .venv/bin/activate")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    out = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=checkout, check=False,
                         capture_output=True, text=True, timeout=600, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stderr == ""
    assert "tokens (gpt-4.1, o200k_base, exact)" in out.stdout
    assert "training cost of one run" in out.stdout
    assert (checkout / "report.html").read_text().count("Plotly.newPlot(") >= 4
    for name in ("summary", "monthly", "monthly_wide", "prices", "montecarlo_summary",
                 "montecarlo_percentiles", "montecarlo_draws"):
        assert (checkout / "report" / f"{name}.csv").exists(), name


def test_every_python_example_runs(checkout, monkeypatch, capsys):
    monkeypatch.chdir(checkout)
    namespace: dict = {}
    for code in blocks("python", "Python"):
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's code
    assert namespace["report"].n_examples == 60 and not namespace["report"].errors
    assert namespace["table"].inference_rates("gpt-4.1").input_usd_per_mtok == 1.6
    contour = namespace["grid"].contour("finetune")
    assert not contour.empty                           # the example draws a break-even line
    assert (checkout / "report.html").exists() and (checkout / "report" / "summary.csv").exists()


def test_links_stay_inside_the_repository():
    assert "MODEL.md" not in README
    for target in re.findall(r"\]\(((?!https?://|#)[^)]+)\)", README):
        assert (ROOT / target).exists(), target
