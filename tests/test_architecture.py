"""The layout holds what docs/architecture.md says: the folders of ``simulator/`` are layers,
each imports only the folders its row names (arrows point down), no module imports another in a
circle, only the app imports streamlit and only the tokens package imports tiktoken.

Imports are read with ``ast`` from the source, lazy ones inside functions included, so a test
can fail before anything is run; the table is read from the page, so page and code cannot
drift apart."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOC = ROOT / "docs" / "architecture.md"
ROW = re.compile(r"^\|\s*`([^`]+)`\s*\|[^|]*\|([^|]*)\|\s*$")
EXCEPTION = re.compile(r"^- `([^`]+)` → `([^`]+)`")


def read_table() -> tuple[dict[str, set[str]], set[tuple[str, str]]]:
    """{place: the places it may import} from the page's table, and the listed exceptions
    (file → file). A place is ``core`` for ``simulator/core/``, ``simulator`` for
    ``simulator/__init__.py`` and ``app.py`` for the page."""
    rules, exceptions = {}, set()
    for line in DOC.read_text().splitlines():
        if m := ROW.match(line):
            rules[place_name(m.group(1))] = {place_name(x) for x in
                                             re.findall(r"`([^`]+)`", m.group(2))}
        elif m := EXCEPTION.match(line):
            exceptions.add((m.group(1), m.group(2)))
    return rules, exceptions


def place_name(text: str) -> str:
    text = text.strip().rstrip("/")
    if text in ("simulator/__init__.py", "simulator"):
        return "simulator"
    return text.removeprefix("simulator/")


def modules() -> list[Path]:
    return sorted((ROOT / "simulator").rglob("*.py")) + [ROOT / "app.py"]


def module_name(path: Path) -> str:
    rel = path.relative_to(ROOT).with_suffix("")
    parts = rel.parts[:-1] if rel.name == "__init__" else rel.parts
    return ".".join(parts)


def place_of(path: Path) -> str:
    rel = path.relative_to(ROOT)
    if rel.parts[0] != "simulator":
        return str(rel)
    if len(rel.parts) == 2:
        return "simulator" if rel.name == "__init__.py" else f"flat:{rel}"
    return rel.parts[1]


FILES = {module_name(p): p for p in modules()}


def resolve(name: str) -> Path | None:
    """The file of module ``name`` of this project, or None (a package from outside)."""
    while name:
        if name in FILES:
            return FILES[name]
        name = name.rpartition(".")[0]
    return None


def imports(path: Path) -> list[tuple[str, int]]:
    """(dotted module name, line) of every import in ``path``, lazy ones included; for
    ``from package import name`` the submodule when ``name`` is one."""
    tree = ast.parse(path.read_text(), filename=str(path))
    own = module_name(path)
    package = own if path.name == "__init__.py" else own.rpartition(".")[0]
    out = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            for a in node.names:
                sub = f"{mod}.{a.name}"
                out.append((sub if sub in FILES else mod, node.lineno))
    return out


def edges() -> list[tuple[Path, Path, int]]:
    """(importer, imported, line) between the project's files, each once."""
    out = set()
    for path in modules():
        for name, line in imports(path):
            target = resolve(name)
            if target is not None and target != path:
                out.add((path, target, line))
    return sorted(out)


def rel(path: Path) -> str:
    return str(path.relative_to(ROOT))


def test_every_module_sits_in_a_folder_of_the_table():
    rules, _ = read_table()
    assert {"core", "model", "cli", "app", "simulator", "app.py"} <= set(rules), (
        "docs/architecture.md: the table must have a row per folder of simulator/")
    lost = [rel(p) for p in modules() if place_of(p) not in rules]
    assert not lost, ("modules in no folder of the table in docs/architecture.md "
                      "(move them into a layer, or add their folder to the table): "
                      + ", ".join(lost))
    folders = {p.name for p in (ROOT / "simulator").iterdir()
               if p.is_dir() and (p / "__init__.py").exists()}
    assert folders <= set(rules), f"folders missing from the table: {sorted(folders - set(rules))}"


def test_arrows_point_down_only():
    rules, exceptions = read_table()
    wrong, used = [], set()
    for src, dst, line in edges():
        a, b = place_of(src), place_of(dst)
        if a == b or b in rules.get(a, set()):
            continue
        if (rel(src), rel(dst)) in exceptions:
            used.add((rel(src), rel(dst)))
            continue
        wrong.append(f"{rel(src)}:{line} imports {rel(dst)} ({a} may import only "
                     f"{', '.join(sorted(rules.get(a, set()))) or 'nothing of simulator'})")
    assert not wrong, "imports against the table in docs/architecture.md:\n" + "\n".join(wrong)
    stale = exceptions - used
    assert not stale, f"docs/architecture.md lists exceptions the code no longer has: {stale}"


def test_no_import_cycle():
    graph: dict[Path, set[Path]] = {}
    for src, dst, _ in edges():
        graph.setdefault(src, set()).add(dst)
    index, low, stack, on, cycles = {}, {}, [], set(), []

    def visit(v):  # Tarjan's strongly connected components
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph.get(v, ()):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                cycles.append(sorted(rel(p) for p in comp))

    for v in list(graph):
        if v not in index:
            visit(v)
    assert not cycles, "modules that import each other in a circle: " + "; ".join(
        " <-> ".join(c) for c in cycles)


@pytest.mark.parametrize("package, allowed", [
    ("streamlit", ("app.py", "simulator/app/")),
    ("tiktoken", ("simulator/tokens/",)),
    ("tiktoken_ext", ("simulator/tokens/",)),
])
def test_only_one_place_imports(package, allowed):
    found = [f"{rel(p)}:{line}" for p in modules() for name, line in imports(p)
             if name.split(".")[0] == package and not rel(p).startswith(allowed)]
    assert not found, f"only {' and '.join(allowed)} may import {package}: " + ", ".join(found)


def test_the_flat_layout_would_fail(tmp_path):
    """The checks catch what the layers fixed: a module of the model importing the app."""
    rules, _ = read_table()
    assert "app" not in rules["model"] and "reports" not in rules["model"]
    assert "cli" not in rules["reports"] and "app" not in rules["reports"]


def test_tests_mirror_the_layers():
    """tests/ has a folder for each layer of simulator/ (and one for pricing/), and no test
    file lies loose beside them but the whole-project ones."""
    root = Path(__file__).resolve().parent.parent
    layers = {p.name for p in (root / "simulator").iterdir()
              if p.is_dir() and (p / "__init__.py").exists()}
    folders = {p.name for p in (root / "tests").iterdir() if p.is_dir()}
    assert layers | {"pricing"} <= folders, sorted(layers | {"pricing"} - folders)
    loose = {p.name for p in (root / "tests").glob("test_*.py")}
    assert loose <= {"test_architecture.py", "test_readme.py", "test_notebooks.py",
                     "test_fuzz_inputs.py", "test_lint.py"}, sorted(loose)
