"""Fuzz: training JSONL lines, spreadsheet cells, CLI arguments, app widget values (issue 13).

Every input is refused with one clear line or processed sanely; nothing raises anything else.
``FTROI_FUZZ_SCALE`` (default 1) multiplies the example counts (benchmarks/fuzz_long.py).
"""

from __future__ import annotations

import io
import json
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from strategies import fuzz_examples, hostile_text, scenarios

from simulator import Uniform, monte_carlo
from simulator.cli.main import main
from simulator.core.errors import InputError
from simulator.model.scenario import field_rule, numeric_fields
from simulator.reports.export import FORMULA_PREFIXES, inert_frame
from simulator.tokens import tokens

SEPARATORS = ",;\t|\r\n"

json_values = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False),
              hostile_text),
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.sampled_from(
                                ["role", "content", "messages", "name", "tool_calls",
                                 "tools", "prompt", "completion", "weight", "function",
                                 "type", "text", "parameters", "properties", "enum"]),
                                inner, max_size=5)), max_leaves=20)
message = st.fixed_dictionaries({"role": st.one_of(st.sampled_from(
    ["user", "assistant", "system", "tool"]), json_values), "content": json_values},
    optional={"name": json_values, "tool_calls": json_values, "weight": json_values})
records = st.one_of(json_values, st.fixed_dictionaries(
    {"messages": st.one_of(st.lists(message, max_size=4), json_values)},
    optional={"tools": json_values}))
raw_lines = st.one_of(records.map(lambda r: json.dumps(r).encode()),
                      st.binary(max_size=80), hostile_text.map(lambda t: t.encode(
                          "utf-8", "surrogatepass")))


@settings(max_examples=fuzz_examples(150), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(st.lists(raw_lines, min_size=1, max_size=6))
def test_any_jsonl_counts_every_line_once(lines):
    data = b"\n".join(line.replace(b"\n", b" ").replace(b"\r", b" ") for line in lines)
    report = tokens.analyze_dataset(io.BytesIO(data), "gpt-4o", max_tokens_per_example=None)
    pieces = data.split(b"\n")
    # blank: JSON's own whitespace only (a line of a vertical tab or NBSP is a bad line)
    nonblank = sum(1 for line in pieces if line.strip(b" \t\r\n"))
    assert report.n_lines == len(pieces) - (1 if data.endswith(b"\n") or not data else 0)
    assert report.n_examples + report.n_errors == nonblank or (
        nonblank == 0 and report.n_errors == 1)
    assert (report.token_counts >= 0).all()
    for issue in report.errors:
        assert "\n" not in issue.message


@settings(max_examples=fuzz_examples(200), deadline=None)
@given(st.lists(st.text(alphabet=st.sampled_from(list("=+-@;,|\t\r\n 'xA1!()\"")),
                        max_size=30), min_size=1, max_size=5))
def test_no_cell_or_split_part_starts_a_formula(cells):
    frame = pd.DataFrame({"note": cells})
    for cell in inert_frame(frame)["note"]:
        assert not cell.startswith(FORMULA_PREFIXES)
        parts = [cell]
        for sep in SEPARATORS:
            parts = [p for part in parts for p in part.split(sep)]
        for part in parts[1:]:
            assert not part.lstrip(" ").startswith(("=", "+", "-", "@")), (cell, part)


ARGS = st.lists(st.one_of(hostile_text, st.sampled_from(
    ["tokens", "dataset", "simulate", "example", "prices", "--model", "gpt-4o", "--draws",
     "-5", "0", "99999999999", "--vary", "workload.requests_per_month=1:0",
     "workload.requests_per_month=a:b", "prompt.accuracy=0:2", "--epochs", "0", "--csv",
     "--seed", "1e999", "--as-of", "2026-13-40", "-", "/dev/null", "/nonexistent"])),
    max_size=6)


@settings(max_examples=fuzz_examples(60), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(ARGS)
def test_cli_arguments_exit_0_or_2_with_one_line(capsys, monkeypatch, args):
    monkeypatch.setattr("sys.stdin", io.StringIO("hello"))
    args = [a.replace("\x00", "") for a in args]
    if "--csv" in args or "--report" in args or "--xlsx" in args:
        return  # writing is covered by tests/core/test_files.py
    try:
        code = main(args)
    except SystemExit as exc:  # argparse: --help, --version, usage errors
        code = exc.code
    err = capsys.readouterr().err.strip()
    assert code in (0, 2)
    if code == 2 and err.startswith("ftroi "):
        assert "Traceback" not in err


@pytest.mark.parametrize("argv", [
    ["simulate", "x.toml", "--draws", "10000000", "--vary", "workload.input_tokens=1:2"],
    ["dataset", "-", "--model", "gpt-4o", "--epochs", "9" * 5000],
])
def test_cli_refuses_in_one_line(tmp_path, capsys, monkeypatch, argv):
    from simulator.model.scenario import example_scenario_text

    (tmp_path / "x.toml").write_text(example_scenario_text())
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr("sys.stdin", io.StringIO("{}"))
    assert main(argv) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "Traceback" not in err


def test_monte_carlo_cap_names_the_limit(tmp_path, capsys):
    from simulator.model.scenario import example_scenario_text

    path = tmp_path / "x.toml"
    path.write_text(example_scenario_text())
    assert main(["simulate", str(path), "--draws", "10000000", "--vary",
                 "workload.input_tokens=1:2"]) == 2
    assert "n: must be a whole number from 1 to 1,000,000, got 10,000,000" in \
        capsys.readouterr().err


def test_scenario_paste_errors_are_input_errors():
    from simulator.app.state import state_from_json

    for text in ["[" * 100_000, '{"horizon_months": ' + "9" * 5000 + "}", "\ud800",
                 '{"workload": {"requests_per_month": 1e300}}', b"\xff\xfe"]:
        with pytest.raises(InputError):
            state_from_json(text)


def _allowed_range(path: str) -> tuple[float, float]:
    """Low and high ends of a field's allowed values (an open end moved inside it; an
    unbounded one cut at a plain size)."""
    rule = field_rule(path)
    lo = rule.lo if rule.lo > -math.inf else -1.0
    hi = rule.hi if rule.hi < math.inf else lo + (10.0 if rule.integer else 1_000.0)
    width = hi - lo
    return lo + (1e-3 * width if rule.lo_open else 0.0), hi - (1e-3 * width if rule.hi_open
                                                               else 0.0)


@settings(max_examples=fuzz_examples(300), deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(s=scenarios(), fields=st.lists(st.sampled_from([f for f in numeric_fields()
                                                       if f != "horizon_months"]),
                                      min_size=1, max_size=3, unique=True),
       seed=st.integers(0, 2**32 - 1))
def test_any_field_drawn_over_its_allowed_range_prices_or_says_why(s, fields, seed):
    """Any numeric field drawn anywhere in its allowed range, on any valid scenario, gives
    finite costs or an InputError (a field no simulated option reads, a drawn volume that
    compounds past the cap), never another exception (a time to production drawn above the
    scenario's 0 once failed with a TypeError; ``tests/model/test_uncertainty.py`` holds that
    case, which few random scenarios reach)."""
    distributions = {f: Uniform(low=lo, high=hi) for f in fields
                     for lo, hi in [_allowed_range(f)]}
    try:
        mc = monte_carlo(s, distributions, n=6, seed=seed)
    except InputError as exc:
        assert "\n" not in str(exc)
        return
    assert np.isfinite(mc.tco_usd.to_numpy()).all()
