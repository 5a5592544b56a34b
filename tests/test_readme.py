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
DOCS = sorted((ROOT / "docs").glob("*.md"))


def blocks(language: str, section: str | None = None, text: str = README) -> list[str]:
    """The ```language blocks of ``text``, or of its ``## section`` (up to the next ``## ``)."""
    part = text
    if section is not None:
        start = text.index(f"\n## {section}\n")
        end = text.find("\n## ", start + 1)
        part = text[start:end if end > 0 else None]
    return re.findall(rf"```{language}\n(.*?)```", part, flags=re.DOTALL)


def doc(name: str) -> str:
    return (ROOT / "docs" / name).read_text(encoding="utf-8")


def test_the_readme_is_short():
    """A newcomer reads it in five minutes; the reference lives in docs/."""
    assert len(README.splitlines()) <= 200
    for name in ("method.md", "prices.md", "cli.md", "python.md", "limits.md", "speed.md"):
        assert f"(docs/{name})" in README, name


@pytest.fixture
def checkout(tmp_path):
    """A scratch top directory like the checkout's: examples/ and the .venv running the tests."""
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return tmp_path


@pytest.mark.skipif(not (Path(sys.executable).parent / "activate").exists(),
                    reason="the tests do not run inside a virtual environment")
def test_every_command_line_example_runs(checkout):
    """The README's walkthrough, then every bash block of docs/cli.md, as written."""
    (walkthrough,) = blocks("bash", "Ten minutes on your own data")
    assert walkthrough.startswith(". .venv/bin/activate")
    env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
    # docs/cli.md's blocks run in a top directory of their own, as a reader would start them
    other = checkout / "cli"
    other.mkdir()
    for name in ("examples", ".venv"):
        (other / name).symlink_to((checkout / name).resolve())
    stdout = ""
    for script, where in ((walkthrough, checkout),
                          ("\n".join(blocks("bash", text=doc("cli.md"))), other)):
        out = subprocess.run(["bash", "-c", "set -euo pipefail\n" + script], cwd=where,
                             check=False, capture_output=True, text=True, timeout=600, env=env)
        assert out.returncode == 0, out.stderr[-2000:]
        assert out.stderr == ""
        stdout += out.stdout
    out.stdout = stdout
    assert "tokens (gpt-6.1-terra, estimate" in out.stdout
    assert "tokens (gpt-4o, o200k_base, exact)" in out.stdout
    assert "training cost of one run" in out.stdout
    assert "Not counted (already paid)" in out.stdout
    assert "182 of 200" in out.stdout and "pays for itself if it reaches" in out.stdout
    assert "cached share" in out.stdout and "volume      60,000 requests/month" in out.stdout
    assert (checkout / "report.html").read_text().count("Plotly.newPlot(") >= 4
    for name in ("summary", "monthly", "monthly_wide", "prices", "montecarlo_summary",
                 "montecarlo_percentiles", "montecarlo_draws"):
        assert (checkout / "report" / f"{name}.csv").exists(), name


def test_every_python_example_runs(checkout, monkeypatch, capsys):
    monkeypatch.chdir(checkout)
    namespace: dict = {}
    for code in blocks("python", "In Python"):
        exec(compile(code, "README.md", "exec"), namespace)  # noqa: S102 - the README's code
    assert "p_cheaper" in capsys.readouterr().out
    namespace = {}
    for code in blocks("python", text=doc("python.md")):
        exec(compile(code, "docs/python.md", "exec"), namespace)  # noqa: S102
    assert namespace["report"].n_examples == 60 and not namespace["report"].errors
    assert namespace["table"].inference_rates("gpt-6.1-terra").input_usd_per_mtok == 0.8
    contour = namespace["grid"].contour("finetune")
    assert not contour.empty                           # the example draws a break-even line
    assert (checkout / "report.html").exists() and (checkout / "report" / "summary.csv").exists()


def test_links_stay_inside_the_repository():
    for page in [ROOT / "README.md", *DOCS]:
        text = page.read_text(encoding="utf-8")
        assert "MODEL.md" not in text, page.name
        for target in re.findall(r"\]\(((?!https?://|#)[^)]+)\)", text):
            assert (page.parent / target.split("#")[0]).exists(), (page.name, target)
