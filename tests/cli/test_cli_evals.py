"""``ftroi evals``: what it prints, the scenario it writes, exit codes."""

from __future__ import annotations

import math
import re
import tomllib
from pathlib import Path

import pytest

from simulator.cli.main import main
from simulator.model.evals import jeffreys_interval
from simulator.model.scenario import example_scenario_text

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[1] / "data"
EXAMPLE = ROOT / "examples" / "evals.csv"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def value_after(out: str, label: str) -> str:
    line = next(ln for ln in out.splitlines() if ln.strip().startswith(label))
    return line.split(label, 1)[1].strip()


def test_prints_counts_intervals_and_the_paired_comparison(capsys):
    code, out, err = run(capsys, "evals", EXAMPLE)
    assert code == 0 and err == ""
    assert f"read  {EXAMPLE} (csv, 400 graded answers)" in out
    for option, k in (("prompt", 174), ("finetune", 182)):
        row = next(ln for ln in out.splitlines() if ln.startswith(option + " "))
        low, high = jeffreys_interval(k, 200)
        assert row.split() == [option, str(k), "200", f"{100 * k / 200:.1f}%",
                               f"{100 * low:.1f}%", "–", f"{100 * high:.1f}%"]
    assert "finetune vs prompt, on the 200 examples graded on both:" in out
    assert value_after(out, "right with finetune only (b)") == "15"
    assert value_after(out, "right with prompt only (c)") == "7"
    assert value_after(out, "right with both / neither") == "167 / 11"
    assert value_after(out, "accuracy difference").startswith("+4.0 points (95% interval ")
    hand_p = 2 * sum(math.comb(22, i) for i in range(8)) / 2**22
    assert value_after(out, "exact McNemar p").startswith(f"{hand_p:.3g} ")
    assert value_after(out, "P(finetune more accurate)").startswith("0.957 ")
    assert max(len(ln) for ln in out.splitlines()) <= 100


def test_long_option_names_stay_within_100_columns(capsys):
    code, out, _ = run(capsys, "evals", DATA / "promptfoo_results.json",
                       DATA / "inspect_prompt.json")
    assert code == 0
    assert max(len(ln) for ln in out.splitlines()) <= 100
    assert "openai:gpt-4.1-mini" in out and "openai/gpt-4.1-mini" in out
    assert "note: " in out and "failureReason 2" in out


def test_writes_a_new_scenario_from_the_example_with_its_comments(tmp_path, capsys):
    target = tmp_path / "scenario.toml"
    code, out, _ = run(capsys, "evals", EXAMPLE, "--to-scenario", target)
    assert code == 0
    assert f"wrote {target}:" in out
    assert "  prompt.eval_correct = 174, eval_total = 200: accuracy 86.8% (posterior mean)\n" \
        in out  # (174 + ½) / 201
    assert "  finetune.eval_correct = 182, eval_total = 200: accuracy 90.8% (posterior mean)\n" \
        in out
    assert f"run it: ftroi simulate {target}" in out
    text = target.read_text()
    data = tomllib.loads(text)
    assert (data["prompt"]["eval_correct"], data["prompt"]["eval_total"]) == (174, 200)
    assert (data["finetune"]["eval_correct"], data["finetune"]["eval_total"]) == (182, 200)
    comments = [ln for ln in example_scenario_text().splitlines() if ln.startswith("#")]
    assert comments and all(c in text.splitlines() for c in comments)


def test_refuses_to_replace_a_file_without_force_and_updates_in_place(tmp_path, capsys):
    target = tmp_path / "scenario.toml"
    target.write_text('title = "mine"\n[prompt]\naccuracy = 0.8   # my guess\n')
    code, _, err = run(capsys, "evals", EXAMPLE, "--to-scenario", target)
    assert code == 2 and "already exists; nothing was written" in err
    assert "eval_correct" not in target.read_text()
    code, _, _ = run(capsys, "evals", EXAMPLE, "--scenario", target, "--to-scenario", target)
    assert code == 0
    text = target.read_text()
    assert text.startswith('title = "mine"\n[prompt]\naccuracy = 0.8   # my guess\n'
                           'eval_correct = 174 ')
    assert tomllib.loads(text)["finetune"] == {"eval_correct": 182, "eval_total": 200}
    other = tmp_path / "copy.toml"
    code, _, _ = run(capsys, "evals", DATA / "promptfoo_results.json", "--scenario", target,
                     "--to-scenario", other, "--map", "openai:gpt-4.1-mini=prompt")
    assert code == 0
    copy = tomllib.loads(other.read_text())
    assert copy["prompt"]["eval_correct"] == 2 and copy["finetune"]["eval_correct"] == 182
    code, _, _ = run(capsys, "evals", EXAMPLE, "--to-scenario", other, "--force")
    assert code == 0 and "Support-ticket classifier" in other.read_text()


def test_map_names_the_scenario_options(tmp_path, capsys):
    target = tmp_path / "s.json"
    code, out, _ = run(capsys, "evals", DATA / "promptfoo_results.jsonl", "--to-scenario",
                       target, "--map", "ft:nova=finetune")
    assert code == 0
    assert "  finetune.eval_correct = 3, eval_total = 4: accuracy 70.0% (posterior mean), " \
           "from ft:nova\n" in out  # (3 + ½) / 5
    assert "note: openai:gpt-4.1-mini is not written: no scenario option of that name" in out
    import json

    data = json.loads(target.read_text())
    assert data["finetune"]["eval_correct"] == 3 and "eval_correct" not in data["prompt"]
    back = tmp_path / "back.toml"
    code, out, _ = run(capsys, "evals", EXAMPLE, "--scenario", target, "--to-scenario", back)
    assert code == 0 and "comments are gone" not in out
    assert tomllib.loads(back.read_text())["finetune"]["eval_correct"] == 182
    code, out, _ = run(capsys, "evals", EXAMPLE, "--scenario", back, "--to-scenario",
                       tmp_path / "again.json")
    assert code == 0 and "comments are gone" not in out


@pytest.mark.parametrize("argv, message", [
    (["--to-scenario", "{tmp}/s.toml"], ("none of the options in the eval files "
                                         "(openai:gpt-4.1-mini, ft:nova) is a scenario option")),
    (["--to-scenario", "{tmp}/s.toml", "--map", "typo=prompt"], "--map typo=prompt: no option"),
    (["--to-scenario", "{tmp}/s.toml", "--map", "ft:nova=banana"], "'banana' is not a scenario"),
    (["--to-scenario", "{tmp}/s.toml", "--map", "ft:nova"], "--map: expected NAME=OPTION"),
    (["--to-scenario", "{tmp}/s.yaml"], "must end in .toml or .json"),
    (["--map", "ft:nova=finetune"], "--map: only with --to-scenario"),
    (["--scenario", "{tmp}/s.toml"], "--scenario: only with --to-scenario"),
    (["--to-scenario", "{tmp}/s.toml", "--scenario", "{tmp}/none.toml"], "no such file"),
])
def test_bad_scenario_arguments_exit_2_with_one_line(tmp_path, capsys, argv, message):
    argv = [a.replace("{tmp}", str(tmp_path)) for a in argv]
    code, _, err = run(capsys, "evals", DATA / "promptfoo_results.json", *argv)
    assert code == 2
    assert err.startswith("ftroi evals: error: ") and message in err
    assert err.count("\n") == 1 and "Traceback" not in err
    assert not (tmp_path / "s.toml").exists()


@pytest.mark.parametrize("content, message", [
    ('{"id": 1, "option": "a", "correct": 1}\n{"id": 2,\n', r"bad\.jsonl, line 2: not valid JSON"),
    ("", "the file is empty"),
    ('{"id": 1, "option": "a", "correct": 1}\n{"id": 1, "option": "a", "correct": 0}\n',
     "example '1' is graded twice for option 'a'"),
    ('{"option": "a", "correct": 1}\n', "no example-id column: tried id, example_id"),
])
def test_bad_files_exit_2_with_one_line(tmp_path, capsys, content, message):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    code, out, err = run(capsys, "evals", path)
    assert code == 2 and out == ""
    assert re.search(message, err) and err.count("\n") == 1 and "Traceback" not in err


def test_a_csv_missing_its_column_and_the_column_flags(tmp_path, capsys):
    path = tmp_path / "graded.csv"
    path.write_text("question,system,verdict\nq1,big,1\nq2,big,0\nq1,small,1\n")
    code, _, err = run(capsys, "evals", path)
    assert code == 2
    assert "no example-id column: tried id, example_id, sample_id, item_id, test_id, doc_id; " \
           "columns: question, system, verdict (name it with --id-column)" in err
    code, out, _ = run(capsys, "evals", path, "--id-column", "question", "--option-column",
                       "system", "--correct-column", "verdict")
    assert code == 0
    assert re.search(r"^big\s+1\s+2\s+50\.0%", out, re.MULTILINE)
    assert "big vs small, on the 1 examples graded on both:" in out or \
        "small vs big, on the 1 examples graded on both:" in out


def test_threshold_and_scorer_flags(capsys):
    code, out, _ = run(capsys, "evals", DATA / "inspect_prompt.json", "--threshold", "0.75")
    assert code == 0 and re.search(r"^openai/gpt-4\.1-mini\s+1\s+3\s+33\.3%", out, re.MULTILINE)
    code, out, _ = run(capsys, "evals", DATA / "inspect_finetune.json", "--scorer", "includes")
    assert code == 0 and re.search(r"^bedrock/nova-micro-tickets\s+4\s+4\s+100\.0%", out, re.MULTILINE)
    code, _, err = run(capsys, "evals", DATA / "inspect_finetune.json", "--threshold", "nan")
    assert code == 2 and "threshold: must be a finite number" in err


def test_help_lists_the_command(capsys):
    with pytest.raises(SystemExit):
        main(["--help"])
    out = capsys.readouterr().out
    assert "evals" in out and "ftroi evals graded.csv" in out


def test_the_written_scenario_loads_once_ftroi_reads_eval_counts(tmp_path, capsys):
    from dataclasses import fields

    from simulator.model.scenario import SECTION_TYPES, load_scenario

    target = tmp_path / "scenario.toml"
    code, _, _ = run(capsys, "evals", EXAMPLE, "--to-scenario", target)
    assert code == 0
    if "eval_correct" not in {f.name for f in fields(SECTION_TYPES["prompt"])}:
        pytest.skip("scenario eval counts land with the evidence work (issue 18, point 1)")
    scenario = load_scenario(target)
    assert (scenario.prompt.eval_correct, scenario.prompt.eval_total) == (174, 200)
    assert (scenario.finetune.eval_correct, scenario.finetune.eval_total) == (182, 200)
