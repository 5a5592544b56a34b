"""``ftroi example`` and ``ftroi simulate``: through the real CLI and a local argparse harness."""

from __future__ import annotations

import argparse
import tomllib

import pandas as pd
import pytest
import tomli_w
from strategies import hand_scenario_dict, pinned

from simulator.cli import simulate as cli_simulate
from simulator.core.errors import InputError
from simulator.model.scenario import example_scenario_text


def harness(argv):
    """A parser with only our subcommands (independent of simulator/cli/main.py)."""
    parser = argparse.ArgumentParser(prog="ftroi")
    cli_simulate.register(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


def main(argv):
    from simulator.cli.main import main as cli_main

    return cli_main(argv)


def pinned_example(tmp_path):
    """The example scenario with every rate pinned (tests never use the shipped prices)."""
    data = pinned(tomllib.loads(example_scenario_text()))
    path = tmp_path / "scenario.toml"
    path.write_text(tomli_w.dumps(data))
    return path


def test_example_prints_the_commented_file(capsys):
    assert harness(["example"]) == 0
    out = capsys.readouterr().out
    assert out == example_scenario_text()
    assert out.count("#") > 20
    tomllib.loads(out)


def test_simulate_prints_a_summary_checkable_from_the_csv(tmp_path, capsys):
    path = pinned_example(tmp_path)
    assert harness(["simulate", str(path), "--csv", str(tmp_path / "out")]) == 0
    out = capsys.readouterr().out
    for option in ("prompt (baseline)", "rag", "finetune", "selfhost", "hybrid"):
        assert option in out
    assert "wins" in out or "Keep prompt" in out
    monthly = pd.read_csv(tmp_path / "out" / "monthly.csv")
    summary = pd.read_csv(tmp_path / "out" / "summary.csv").set_index("option")
    totals = monthly.groupby("option").cost_usd.sum()
    for option, tco in totals.items():
        assert summary.loc[option, "tco_usd"] == pytest.approx(tco)
        # the printed TCO is the CSV's sum to the dollar (the CSV sums cells rounded to the
        # cent, so the two may sit either side of a half dollar)
        assert f"${tco:,.0f}" in out or f"${tco - 0.5:,.0f}" in out or f"${tco + 0.5:,.0f}" in out


def test_simulate_through_the_real_cli(tmp_path, capsys):
    path = pinned_example(tmp_path)
    assert main(["simulate", str(path)]) == 0
    assert "finetune" in capsys.readouterr().out
    assert main(["example"]) == 0


@pytest.mark.parametrize("content, message", [
    (None, "no such file"),
    ("[workload]\nrequests_per_month = -5\n", "workload.requests_per_month: must be"),
    ("[prompt]\nmodle = 'x'\n", "prompt.modle: unknown field"),
    ("options = ['prompt', 'magic']\n", "options[1]: unknown option 'magic'"),
])
def test_errors_are_one_line_and_exit_2(tmp_path, capsys, content, message):
    path = tmp_path / "s.toml"
    if content is not None:
        path.write_text(content)
    assert main(["simulate", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err
    assert err.count("\n") == 1 and "Traceback" not in err


def test_harness_raises_input_errors_for_cli_to_report(tmp_path):
    path = tmp_path / "s.json"
    path.write_text('{"horizon_months": 0}')
    with pytest.raises(InputError, match="horizon_months: must be"):
        harness(["simulate", str(path)])
    good = tmp_path / "g.toml"
    good.write_text(tomli_w.dumps(hand_scenario_dict()))
    with pytest.raises(InputError, match="--as-of"):
        harness(["simulate", str(good), "--as-of", "soon"])


def test_simulate_with_a_monte_carlo(tmp_path, capsys):
    path = pinned_example(tmp_path)
    argv = ["simulate", str(path), "--vary", "workload.requests_per_month=10000:60000:200000",
            "--vary", "finetune.labelling_usd_per_example=1:10", "--draws", "500", "--seed", "3"]
    assert harness(argv) == 0
    first = capsys.readouterr().out
    assert "Over 500 Monte Carlo draws" in first
    assert "Monte Carlo, 500 draws (seed 3):" in first and "p_cheaper" in first
    assert harness(argv) == 0
    assert capsys.readouterr().out == first          # same seed, same report


@pytest.mark.parametrize("vary, message", [
    ("workload.requests_per_month", "--vary: expected FIELD=LOW:HIGH"),
    ("workload.requests_per_month=1:x", "--vary: expected FIELD=LOW:HIGH"),
    ("workload.nothing=1:2", "workload.nothing: not a numeric scenario field"),
    ("prompt.accuracy=0.5:1.5", "prompt.accuracy: must be a share"),
])
def test_bad_vary_is_one_line_exit_2(tmp_path, capsys, vary, message):
    path = pinned_example(tmp_path)
    assert main(["simulate", str(path), "--vary", vary, "--draws", "50"]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_set_changes_one_field_for_the_run(tmp_path, capsys):
    """--set FIELD=VALUE: numbers, true/false and names, checked like the scenario's own."""
    from simulator.cli.main import main
    from simulator.model.scenario import example_scenario_text

    path = tmp_path / "s.toml"
    path.write_text(example_scenario_text())
    assert main(["simulate", str(path)]) == 0
    plain = capsys.readouterr().out
    assert main(["simulate", str(path), "--set", "cost_per_error_usd=0.25",
                 "--set", "prompt.already_built=false"]) == 0
    out = capsys.readouterr().out
    assert "Keep prompt rather than finetune" in plain
    assert "finetune wins against prompt" in out
    assert "prompt engineering" not in out.split("Not counted")[-1].split(".")[0]
    assert main(["simulate", str(path), "--set", "cost_per_error_usd=-1"]) == 2
    assert "cost_per_error_usd: must be a number ≥ 0, got -1" in capsys.readouterr().err
    assert main(["simulate", str(path), "--set", "nonsense"]) == 2
    assert "--set: expected FIELD=VALUE" in capsys.readouterr().err
