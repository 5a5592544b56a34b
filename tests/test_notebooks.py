"""Every notebook under ``notebooks/`` runs from top to bottom against the installed package.

Each notebook is executed with nbclient, from its own folder as JupyterLab would run it, by a
kernel started from this interpreter (``sys.executable -m ipykernel_launcher``), so it sees exactly the package
``pip install -e ".[test]"`` installed, whatever other Jupyter kernels the machine has. A
failing cell fails the test with that cell's source and error. Notebooks assert the
conclusions their text states, so a price-table change that flips a conclusion fails here.

Notebooks write only to a temporary directory (``tempfile.mkdtemp()``), never into the
checkout. Since the kernel runs in ``notebooks/``, a relative path lands there; the test lists
the files under ``notebooks/`` and at the repository's top level before and after each run
and fails on any new one (tool caches such as ``__pycache__`` aside). The listing stays out of
the source folders so that edits made there while the suite runs cannot fail it.
"""

from __future__ import annotations

import json
import re
import sys
import time
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

from nbclient.exceptions import CellExecutionError

REPO = Path(__file__).resolve().parent.parent
NOTEBOOKS = sorted((REPO / "notebooks").glob("*.ipynb"))
# Directories that tools (not notebooks) fill: left out of the before/after listing.
SKIP_DIRS = {".git", ".venv", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache",
             ".mypy_cache"}
KERNEL_NAME = "ftroi-test-python"
TIMEOUT_S = 120
BUDGET_S = 60  # each notebook aims for under ~20 s; this only catches a runaway


def repo_files(root: Path = REPO) -> set[Path]:
    """Files a notebook could leave behind, relative to ``root``: everything under
    ``notebooks/`` and the files at the top level (tool caches left out)."""
    candidates = [*(root / "notebooks").rglob("*"), *root.iterdir()]
    found = set()
    for path in candidates:
        rel = path.relative_to(root)
        if any(part in SKIP_DIRS or part.endswith(".egg-info") for part in rel.parts):
            continue
        if path.is_file():
            found.add(rel)
    return found


@pytest.fixture(scope="module")
def kernel_dir(tmp_path_factory) -> Path:
    """A Jupyter data dir holding one kernelspec that runs this interpreter's ipykernel."""
    root = tmp_path_factory.mktemp("jupyter")
    spec = root / "kernels" / KERNEL_NAME
    spec.mkdir(parents=True)
    (spec / "kernel.json").write_text(json.dumps({
        "argv": [sys.executable, "-m", "ipykernel_launcher", "-f", "{connection_file}"],
        "display_name": "ftroi test (this interpreter)",
        "language": "python",
        "env": {"JUPYTER_PLATFORM_DIRS": "1", "PYTHONHASHSEED": "0"},
    }), encoding="utf-8")
    return root


def test_notebooks_exist():
    names = [p.name for p in NOTEBOOKS]
    assert names[:3] == ["01_quickstart.ipynb", "02_support_tickets.ipynb",
                         "03_when_not_to_finetune.ipynb"], names


def test_notebooks_are_committed_without_outputs():
    for path in NOTEBOOKS:
        nb = nbformat.read(path, as_version=4)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type == "code":
                assert not cell.outputs and cell.execution_count is None, \
                    f"{path.name}: cell {i} has outputs; clear them before committing"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs(path: Path, kernel_dir: Path, monkeypatch):
    # Jupyter's own path handling (jupyter_core) warns unless told which dirs to use.
    monkeypatch.setenv("JUPYTER_PLATFORM_DIRS", "1")
    monkeypatch.setenv("JUPYTER_PATH", str(kernel_dir))
    nb = nbformat.read(path, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=TIMEOUT_S, kernel_name=KERNEL_NAME,
                                     resources={"metadata": {"path": str(path.parent)}})
    before = repo_files()
    start = time.perf_counter()
    try:
        client.execute(cwd=str(path.parent))
    except CellExecutionError as exc:
        message = re.sub(r"\x1b\[[0-9;]*m", "", str(exc))  # the kernel colours tracebacks
        pytest.fail(f"{path.name} failed:\n{message}", pytrace=False)
    elapsed = time.perf_counter() - start
    assert elapsed < BUDGET_S, f"{path.name} took {elapsed:.1f} s"
    # Nothing is written into the checkout: no new file anywhere under the repository.
    new = sorted(str(p) for p in repo_files() - before)
    assert not new, f"{path.name} wrote into the repository: {', '.join(new)}"


def test_repo_files_sees_new_files_but_not_caches(tmp_path: Path):
    """The before/after listing catches what notebook 01 used to write (report/, a .toml)."""
    (tmp_path / "notebooks").mkdir()
    (tmp_path / "notebooks" / "01.ipynb").write_text("{}", encoding="utf-8")
    before = repo_files(tmp_path)
    (tmp_path / "notebooks" / "report").mkdir()
    (tmp_path / "notebooks" / "report" / "summary.csv").write_text("x\n", encoding="utf-8")
    (tmp_path / "notebooks" / "scenario.toml").write_text("", encoding="utf-8")
    (tmp_path / "report.html").write_text("", encoding="utf-8")
    (tmp_path / "notebooks" / "__pycache__").mkdir()
    (tmp_path / "notebooks" / "__pycache__" / "m.pyc").write_bytes(b"")
    assert repo_files(tmp_path) - before == {Path("notebooks/report/summary.csv"),
                                             Path("notebooks/scenario.toml"),
                                             Path("report.html")}


def test_markdown_money_is_not_read_as_latex():
    """JupyterLab and GitHub read two ``$`` in a markdown cell as a LaTeX formula
    ("(1,600);thefine−tuningroadpays4,000"): every dollar sign in prose is escaped."""
    import json
    import re

    for path in NOTEBOOKS:
        for i, cell in enumerate(json.loads(path.read_text())["cells"]):
            if cell["cell_type"] != "markdown":
                continue
            text = "".join(cell["source"])
            prose = re.sub(r"`[^`]*`", "", text)
            bare = re.findall(r"(?<!\\)\$", prose)
            assert not bare, f"{path.name} cell {i}: unescaped $ ({len(bare)})"
