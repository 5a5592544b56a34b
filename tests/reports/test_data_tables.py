"""The training-data facts: the distillation and output-terms tables (validated like the price
files), the terms look-up, ``ftroi dataset``'s data table, and the reports listing the data
components."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from pricing import PriceError
from pricing.datasources import FILES, output_terms, read_rows
from simulator import example_scenario, simulate
from simulator.cli.main import main
from simulator.model.datacost import DATA_COMPONENTS
from simulator.tokens import tokens


@pytest.mark.parametrize("kind", sorted(FILES))
def test_shipped_tables_validate_and_every_row_has_a_source_and_date(kind):
    rows = read_rows(kind)
    assert rows
    for row in rows:
        assert row["source_url"].startswith("https://"), row
        assert row["checked_on"] is not None, row
    keys = [tuple(r[k] for k in FILES[kind][2]) for r in rows]
    assert len(keys) == len(set(keys))


def test_unknown_column_is_refused_with_file_and_column(tmp_path):
    path = tmp_path / "terms.csv"
    path.write_text("provider,model_pattern,restriction,terms,effective_from,source_url,colour\n"
                    "openai,*,none,x,2024-01-01,https://x,red\n", encoding="utf-8")
    with pytest.raises(PriceError) as err:
        read_rows("output_terms", path)
    assert str(err.value).startswith(f"{path}, header, column 'colour': unknown column")


def test_bad_cell_names_file_row_and_column(tmp_path):
    path = tmp_path / "distill.csv"
    path.write_text("provider,teacher_model,student_model,effective_from,teacher_billing,"
                    "student_train_usd_per_mtok,serving,source_url\n"
                    "aws,a,b,2025-01-01,on_demand,-1,on_demand,https://x\n", encoding="utf-8")
    with pytest.raises(PriceError) as err:
        read_rows("distillation", path)
    assert f"{path}, row 1 (line 2), column 'student_train_usd_per_mtok'" in str(err.value)
    assert "negative" in str(err.value)


@pytest.mark.parametrize("provider, model, restriction", [
    ("openai", "gpt-6.1-terra", "competing_models"),
    ("anthropic", "claude-sonnet-4-5", "competing_models"),
    ("google", "gemini-2.5-pro", "competing_models"),
    ("together", "meta-llama/Meta-Llama-3-70B-Instruct", "other_models"),
    ("together", "meta-llama/llama-3.3-70b-instruct", "attribution"),
    ("together", "deepseek-ai/deepseek-r1", "none"),
])
def test_output_terms_lookup(provider, model, restriction):
    terms = output_terms(provider, model)
    assert terms is not None and terms.restriction == restriction
    assert terms.restricts == (restriction != "none")
    assert (terms.warning(model) == "") == (restriction == "none")


def test_no_terms_for_an_unlisted_model():
    assert output_terms("together", "qwen/qwen3-8b") is None


def test_dataset_command_prices_the_data_for_each_source(tmp_path, capsys):
    lines = [{"messages": [{"role": "system", "content": "Classify the ticket."},
                           {"role": "user", "content": f"My invoice {i} is wrong."},
                           {"role": "assistant", "content": "billing"}]} for i in range(8)]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    code = main(["dataset", str(path), "--model", "gpt-4.1-mini", "--teacher", "gpt-6.1-terra",
                 "--acceptance-rate", "0.5", "--holdout-share", "0.2"])
    out, _ = capsys.readouterr()
    assert code == 0
    assert "data cost of 8 training examples and a 20% hold-out, by source:" in out
    table = out.split("by source:\n", 1)[1].split("\nteacher gpt", 1)[0]
    rows = {line.split()[0]: line.split() for line in table.splitlines()[1:]}
    # human: 8 + 2 held out at $2 = $20; logs: 10 / 0.5 read at $0.50 = $10
    assert float(rows["human"][-2]) == pytest.approx(20.0)
    assert float(rows["logs"][-2]) == pytest.approx(10.0)
    # teacher: 10 / 0.5 generated, tokens measured from the file, gpt-6.1-terra at $1 / $5;
    # one in ten of the 10 kept reviewed at $0.50
    ins = sum(int(tokens.count_chat_tokens(x["messages"][:2], "gpt-6.1-terra")) for x in lines)
    out_tokens = int(tokens.count_tokens("billing", "gpt-6.1-terra"))
    per_generated = (ins / 8 * 1.0 + out_tokens * 5.0) / 1e6
    assert float(rows["teacher"][-2]) == pytest.approx(20 * per_generated + 0.5, abs=0.01)
    assert "warning: The teacher gpt-6.1-terra: OpenAI's Terms of Use" in out
    assert max(len(line) for line in out.split("by source:", 1)[1].splitlines()) <= 100


def test_dataset_command_refuses_a_bad_acceptance_rate(tmp_path, capsys):
    path = tmp_path / "train.jsonl"
    path.write_text(json.dumps({"messages": [{"role": "user", "content": "a"},
                                             {"role": "assistant", "content": "b"}]}) + "\n")
    code = main(["dataset", str(path), "--model", "gpt-4.1-mini", "--acceptance-rate", "0"])
    _, err = capsys.readouterr()
    assert code != 0
    assert "--acceptance-rate: must be a share in (0, 1], got 0" in err


def test_csv_and_html_reports_list_the_data_components(tmp_path):
    s = example_scenario().with_values(options=("prompt", "finetune"),
                                       **{"data.source": "teacher",
                                          "finetune.examples_on_hand": 0})
    r = simulate(s)
    paths = r.to_csv(tmp_path / "report")
    monthly = pd.read_csv(paths["monthly"])
    listed = set(monthly.query("option == 'finetune'")["component"])
    assert {"data_generation", "data_review", "holdout"} <= listed
    assert set(DATA_COMPONENTS) - {"labelling"} <= listed
    from simulator.reports.html_report import html_report

    html = html_report(r, figures=[], skipped=[])
    assert "Warning: The teacher gpt-6.1-terra: OpenAI&#x27;s Terms of Use" in html \
        or "Warning: The teacher gpt-6.1-terra: OpenAI's Terms of Use" in html
    assert "Training data" in html and "data_generation" in html
