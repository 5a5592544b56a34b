"""The thin app (issue 22): ``app.py`` is a page of wiring, its steps live in
``simulator/app/pages.py``, and no function or top-level block of either is longer than a
screen (80 lines)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "app.py"
PAGES = ROOT / "simulator" / "app" / "pages.py"
LIMIT = 80
WIDGETS = {"button", "checkbox", "code", "data_editor", "dataframe", "download_button",
           "file_uploader", "metric", "multiselect", "number_input", "plotly_chart",
           "radio", "selectbox", "slider", "tabs", "text_area", "toggle", "expander",
           "header", "subheader", "title", "markdown", "error", "warning", "info", "success",
           "sidebar", "columns", "container", "empty", "progress", "bar_chart"}


def spans(path: Path) -> list[tuple[str, int]]:
    """(name, lines) of every function, class and top-level statement in a file."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out = [(f"top-level statement at line {node.lineno}", node.end_lineno - node.lineno + 1)
           for node in tree.body]
    out += [(f"{node.name} (line {node.lineno})", node.end_lineno - node.lineno + 1)
            for node in ast.walk(tree)
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))]
    return out


@pytest.mark.parametrize("path", [APP, PAGES], ids=["app.py", "app_pages.py"])
def test_no_function_or_block_over_a_screen(path):
    long = [(name, n) for name, n in spans(path) if n > LIMIT]
    assert not long, f"{path.name}: over {LIMIT} lines: {long}"


def test_spans_counted_by_hand():
    source = "def f():\n    a = 1\n\n    return a\n\nx = [\n    1,\n]\n"
    tree = ast.parse(source)
    assert [n.end_lineno - n.lineno + 1 for n in tree.body] == [4, 3]


def test_app_py_is_wiring():
    """app.py: short, no widget of its own; it draws only through app_pages (the last
    caption with the server time aside) and caches the core calls."""
    source = APP.read_text(encoding="utf-8")
    assert len(source.splitlines()) <= 200
    tree = ast.parse(source)
    st_calls = sorted({node.func.attr for node in ast.walk(tree)
                       if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                       and isinstance(node.func.value, ast.Name) and node.func.value.id == "st"})
    assert not set(st_calls) & WIDGETS, st_calls
    assert set(st_calls) <= {"set_page_config", "caption", "cache_data", "cache_resource"}, st_calls
    pages_calls = {node.func.attr for node in ast.walk(tree)
                   if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                   and isinstance(node.func.value, ast.Name)
                   and node.func.value.id in ("app_pages", "pages")}
    assert {"init_session", "sidebar", "page", "prices_tab", "results",
            "keep_and_share"} <= pages_calls
    cached = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
              and any("cache_" in ast.unparse(d) for d in node.decorator_list)]
    assert "run_core" in cached and "price_table" in cached
    uncached = [node.name for node in tree.body if isinstance(node, ast.FunctionDef)
                and node.name not in cached]
    assert not uncached, f"app.py defines steps of its own: {uncached}"


def test_app_pages_caches_nothing_and_holds_no_globals():
    """Caching only in app.py; the page steps get the cached calls as arguments."""
    tree = ast.parse(PAGES.read_text(encoding="utf-8"))
    assert "cache_data(" not in ast.unparse(tree).replace("cache_data.clear(", "")
    assert "cache_resource(" not in ast.unparse(tree).replace("cache_resource.clear(", "")
    assert not [node for node in ast.walk(tree) if isinstance(node, ast.Global)]
