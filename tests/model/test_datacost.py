"""Where the training data comes from: each source's cost against a hand computation
(acceptance, judge and review, hold-out, retraining), the warnings, and the bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from strategies import pinned

from simulator.core.errors import InputError
from simulator.model.datacost import (
    data_usd,
    generated_examples,
    holdout_examples,
    model_call_usd,
    months_to_collect,
)
from simulator.model.engine import simulate
from simulator.model.scenario import DataConfig, Scenario, load_scenario


def scenario(data: dict, **finetune) -> Scenario:
    """Prompt and fine-tune with every rate pinned, H = 12, retraining at months 6 and 12."""
    return Scenario.from_dict(pinned({
        "horizon_months": 12, "discount_rate": 0.0, "price_decline": 0.0,
        "options": ["prompt", "finetune"], "hourly_rate_usd": 100,
        "workload": {"requests_per_month": 60000, "input_tokens": 400, "output_tokens": 150,
                     "chat_overhead_tokens": 11},
        "prompt": {"model": "gpt-6.1-terra", "system_prompt_tokens": 1200,
                   "fewshot_tokens": 1800},
        "finetune": {"examples": 600, "tokens_per_example": 700, "epochs": 3,
                     "labelling_usd_per_example": 2.0, "retrain_every_months": 6,
                     "new_examples_per_retrain": 200, **finetune},
        "data": data,
    }))


def components(s: Scenario, option: str = "finetune") -> dict:
    r = simulate(s)
    return {c: np.asarray(a) for c, a in r.costs[option].items()}


# ---- human ------------------------------------------------------------------------------------

def test_human_labelling_review_and_holdout_by_hand():
    s = scenario({"source": "human", "holdout_share": 0.2, "review_share": 0.5,
                  "review_usd_per_example": 1.0}, labelling_hours_per_example=0.1)
    c = components(s)
    # per example: 2 USD + 0.1 h × 100 USD/h = 12 USD written, 0.5 × 1 USD = 0.5 USD checked
    # month 0: 600 trained + 600 × 0.2/0.8 = 150 held out; months 6, 12: 200 + 50
    assert c["labelling"][[0, 6, 12]].tolist() == pytest.approx([7200, 2400, 2400])
    assert c["data_review"][[0, 6, 12]].tolist() == pytest.approx([300, 100, 100])
    assert c["holdout"][[0, 6, 12]].tolist() == pytest.approx([150 * 12.5, 50 * 12.5,
                                                               50 * 12.5])
    assert c["labelling"][[1, 5, 7, 11]].tolist() == [0, 0, 0, 0]


def test_examples_on_hand_cover_training_and_holdout_alike_by_hand():
    s = scenario({"source": "human", "holdout_share": 0.2}, examples_on_hand=700)
    c = components(s)
    # needed (trained + held out): 750 by month 0, 1,000 by month 6, 1,250 by month 12;
    # beyond the 700 on hand: 50, 250, 250, split 80% trained / 20% held out, at $2
    assert c["labelling"][[0, 6, 12]].tolist() == pytest.approx([80, 400, 400])
    assert c["holdout"][[0, 6, 12]].tolist() == pytest.approx([20, 100, 100])


def test_old_scenario_without_data_section_loads_and_prices_labelling_as_before(tmp_path):
    path = tmp_path / "old.toml"
    path.write_text('options = ["prompt", "finetune"]\nhorizon_months = 6\n'
                    '[finetune]\nexamples = 100\nlabelling_usd_per_example = 3.0\n'
                    'retrain_every_months = 0\n', encoding="utf-8")
    s = load_scenario(path)
    assert s.data == DataConfig()
    c = components(s)
    # the default 20% hold-out: 100 trained, 25 held out, both at 3 USD
    assert c["labelling"][0] == pytest.approx(300.0)
    assert c["holdout"][0] == pytest.approx(75.0)
    no_holdout = components(s.with_values(**{"data.holdout_share": 0.0}))
    assert no_holdout["labelling"][0] == pytest.approx(300.0)
    assert "holdout" not in no_holdout


def test_data_section_round_trips():
    s = scenario({"source": "teacher", "teacher_model": "gpt-6.1-terra",
                  "acceptance_rate": 0.6, "judge_model": "gpt-6.1-terra",
                  "judge_output_tokens": 20})
    assert Scenario.from_dict(s.to_dict()) == s
    assert s.to_dict()["data"]["acceptance_rate"] == 0.6


# ---- teacher ----------------------------------------------------------------------------------

def test_teacher_generation_with_acceptance_judge_and_review_by_hand():
    s = scenario({"source": "teacher", "teacher_input_tokens": 2000,
                  "teacher_output_tokens": 150, "teacher_input_usd_per_mtok": 3.0,
                  "teacher_cached_input_usd_per_mtok": 0.3, "teacher_output_usd_per_mtok": 12.0,
                  "teacher_batch_discount": 0.5, "acceptance_rate": 0.75,
                  "judge_model": "some-judge", "judge_input_usd_per_mtok": 1.0,
                  "judge_output_usd_per_mtok": 4.0, "judge_output_tokens": 50,
                  "review_share": 0.1, "review_usd_per_example": 0.5, "holdout_share": 0.2})
    c = components(s)
    teacher = (2000 * 3.0 + 150 * 12.0) / 1e6            # 0.0078 per generated example
    judge = ((2000 + 150) * 1.0 + 50 * 4.0) / 1e6        # reads prompt and answer: 0.00235
    per_kept = (teacher + judge) / 0.75                  # 4 generated for every 3 kept
    review = 0.1 * 0.5
    assert c["data_generation"][0] == pytest.approx(600 * per_kept)
    assert c["data_review"][0] == pytest.approx(600 * review)
    assert c["holdout"][0] == pytest.approx(150 * (per_kept + review))
    assert c["data_generation"][6] == pytest.approx(200 * per_kept)   # retraining: same source
    assert c["holdout"][12] == pytest.approx(50 * (per_kept + review))
    assert "labelling" not in c or not c["labelling"].any()


def test_teacher_batch_and_caching_by_hand_and_rates_listed_with_sources():
    s = scenario({"source": "teacher", "teacher_input_tokens": 2000,
                  "teacher_output_tokens": 150, "teacher_input_usd_per_mtok": 3.0,
                  "teacher_cached_input_usd_per_mtok": 0.3, "teacher_output_usd_per_mtok": 12.0,
                  "teacher_batch_discount": 0.5, "teacher_batch_share": 1.0,
                  "teacher_cached_share": 0.5, "acceptance_rate": 1.0, "review_share": 0.0,
                  "holdout_share": 0.0})
    r = simulate(s)
    per_generated = (2000 * (0.5 * 0.3 + 0.5 * 3.0) + 150 * 12.0) / 1e6 * (1 - 0.5)
    assert float(r.costs["finetune"]["data_generation"][0]) == pytest.approx(
        600 * per_generated)
    fields = set(r.prices["field"])
    assert {"data.teacher_input_usd_per_mtok", "data.teacher_output_usd_per_mtok",
            "data.teacher_batch_discount"} <= fields


def test_teacher_rates_come_from_the_price_table_with_their_source():
    s = scenario({"source": "teacher", "teacher_model": "gpt-6.1-terra",
                  "teacher_input_tokens": 1000, "teacher_output_tokens": 100,
                  "acceptance_rate": 0.5, "review_share": 0.0, "holdout_share": 0.0})
    r = simulate(s)
    rows = r.prices.set_index("field")
    c_in = rows.loc["data.teacher_input_usd_per_mtok", "value"]
    c_out = rows.loc["data.teacher_output_usd_per_mtok", "value"]
    assert rows.loc["data.teacher_input_usd_per_mtok", "source_url"].startswith("http")
    assert rows.loc["data.teacher_input_usd_per_mtok", "source"]   # the table, not the user
    assert "teacher gpt-6.1-terra" in rows.loc["data.teacher_input_usd_per_mtok", "note"]
    expected = 600 / 0.5 * (1000 * c_in + 100 * c_out) / 1e6
    assert float(r.costs["finetune"]["data_generation"][0]) == pytest.approx(expected)


def test_teacher_tokens_default_to_the_prompted_request():
    s = scenario({"source": "teacher", "teacher_input_usd_per_mtok": 1.0,
                  "teacher_cached_input_usd_per_mtok": 1.0, "teacher_output_usd_per_mtok": 1.0,
                  "teacher_batch_discount": 0.0, "acceptance_rate": 1.0, "review_share": 0.0,
                  "holdout_share": 0.0})
    c = components(s)
    # s + f + u + k = 1200 + 1800 + 400 + 11 in, o = 150 out, at 1 USD per 1M tokens
    assert c["data_generation"][0] == pytest.approx(600 * (3411 + 150) / 1e6)


def test_teacher_retraining_pays_the_declined_token_rate():
    s = scenario({"source": "teacher", "teacher_input_tokens": 1000,
                  "teacher_output_tokens": 0, "teacher_input_usd_per_mtok": 10.0,
                  "teacher_cached_input_usd_per_mtok": 10.0, "teacher_output_usd_per_mtok": 0.0,
                  "teacher_batch_discount": 0.0, "acceptance_rate": 1.0, "review_share": 0.0,
                  "holdout_share": 0.0})
    c = components(s.with_values(price_decline=0.2))
    assert c["data_generation"][0] == pytest.approx(600 * 0.01)
    assert c["data_generation"][6] == pytest.approx(200 * 0.01 * 0.8 ** (5 / 12))


def test_teacher_tokens_measured_from_a_sample_file(tmp_path):
    from simulator.tokens import tokens

    lines = [{"messages": [{"role": "system", "content": "Classify the ticket."},
                           {"role": "user", "content": "My invoice is wrong " * k},
                           {"role": "assistant", "content": "billing"}]} for k in (1, 3)]
    path = tmp_path / "samples.jsonl"
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n", encoding="utf-8")
    s = scenario({"source": "teacher", "teacher_samples": "samples.jsonl",
                  "teacher_input_usd_per_mtok": 1.0, "teacher_cached_input_usd_per_mtok": 1.0,
                  "teacher_output_usd_per_mtok": 1.0, "teacher_batch_discount": 0.0,
                  "acceptance_rate": 1.0, "review_share": 0.0, "holdout_share": 0.0})
    s = Scenario.from_dict(s.to_dict(), source_dir=tmp_path)
    ins = [int(tokens.count_chat_tokens(x["messages"][:2], "gpt-6.1-terra")) for x in lines]
    out = int(tokens.count_tokens("billing", "gpt-6.1-terra"))
    r = simulate(s)
    assert float(r.costs["finetune"]["data_generation"][0]) == pytest.approx(
        600 * (sum(ins) / 2 + out) / 1e6)
    assert any("data.teacher_samples: 2 examples" in n for n in r.notes)


def test_a_teacher_whose_terms_restrict_training_carries_a_warning():
    s = scenario({"source": "teacher", "teacher_model": "gpt-6.1-terra",
                  "teacher_input_tokens": 1000, "teacher_output_tokens": 100})
    r = simulate(s)
    assert len(r.warnings) == 1
    assert "OpenAI's Terms of Use" in r.warnings[0]
    assert "https://openai.com/policies/terms-of-use/" in r.warnings[0]
    assert "Warning: The teacher gpt-6.1-terra" in r.explain()
    human = simulate(scenario({"source": "human"}))
    assert human.warnings == () and "Warning" not in human.explain()


# ---- logs -------------------------------------------------------------------------------------

def test_logs_pay_only_reviews_by_hand():
    s = scenario({"source": "logs", "acceptance_rate": 0.8, "review_usd_per_example": 0.5,
                  "holdout_share": 0.2})
    c = components(s)
    # every logged answer read (review_share 1 by default), 5 read for every 4 kept
    per_kept = 1.0 * 0.5 / 0.8
    assert c["data_review"][0] == pytest.approx(600 * per_kept)
    assert c["holdout"][0] == pytest.approx(150 * per_kept)
    assert c["data_review"][6] == pytest.approx(200 * per_kept)
    assert "data_generation" not in c
    assert "labelling" not in c or not c["labelling"].any()
    assert simulate(s).warnings == ()   # 60,000 × 5% × 80% = 2,400 a month: enough


def test_logs_too_few_say_so_with_the_months_of_wait():
    s = scenario({"source": "logs", "acceptance_rate": 0.8, "logs_usable_share": 0.05,
                  "holdout_share": 0.2}).with_values(**{"workload.requests_per_month": 1000})
    r = simulate(s)
    # 1,000 × 5% × 80% = 40 examples a month; 750 needed: 18.75 months; 250 per retraining
    # against 6 × 40 = 240
    assert len(r.warnings) == 1
    w = r.warnings[0]
    assert "give 40 examples a month" in w
    assert "18.8 months" in w
    assert "each retraining needs 250 new examples, more than the 240" in w
    assert "Too few examples in the logs" in r.explain()


# ---- the pure functions -----------------------------------------------------------------------

def test_pure_functions_by_hand_and_arrays():
    assert holdout_examples(800, 0.2) == pytest.approx(200)
    assert holdout_examples(np.array([90.0, 80.0]), np.array([0.1, 0.2])).tolist() == \
        pytest.approx([10.0, 20.0])
    assert generated_examples(600, 0.75) == pytest.approx(800)
    assert model_call_usd(1000, 100, 2.0, 8.0) == pytest.approx(0.0028)
    assert months_to_collect(100, 0, 0.1, 1.0) == math.inf
    assert months_to_collect(750, 60000, 0.01, 0.5) == pytest.approx(2.5)


P = {"finetune.labelling_usd_per_example": 2.0, "finetune.labelling_hours_per_example": 0.5,
     "hourly_rate_usd": 80.0, "data.review_share": 0.3, "data.review_usd_per_example": 0.7,
     "data.acceptance_rate": 0.6, "data.teacher_input_tokens": 3000.0,
     "data.teacher_output_tokens": 200.0, "data.teacher_input_usd_per_mtok": 2.0,
     "data.teacher_cached_input_usd_per_mtok": 0.5, "data.teacher_output_usd_per_mtok": 8.0,
     "data.teacher_cached_share": 0.4, "data.teacher_batch_share": 0.5,
     "data.teacher_batch_discount": 0.5, "data.judge_input_tokens": 3200.0,
     "data.judge_output_tokens": 30.0, "data.judge_input_usd_per_mtok": 0.4,
     "data.judge_output_usd_per_mtok": 1.6, "data.judge_batch_discount": 0.5}


@given(st.sampled_from(["human", "teacher", "logs"]), st.floats(0, 1e5), st.floats(0, 1e5),
       st.floats(0, 1e5))
def test_data_cost_never_falls_when_examples_rise(source, n, extra, holdout):
    low = sum(data_usd(source, n, holdout, P).values())
    high = sum(data_usd(source, n + extra, holdout, P).values())
    assert high >= low - 1e-9 * max(1.0, low)


@given(st.floats(1, 1e5))
def test_doubling_every_token_rate_doubles_generation(n):
    twice = dict(P, **{k: 2 * v for k, v in P.items() if k.endswith("usd_per_mtok")})
    assert data_usd("teacher", n, 0, twice)["data_generation"] == pytest.approx(
        2 * data_usd("teacher", n, 0, P)["data_generation"])


# ---- bad input --------------------------------------------------------------------------------

@pytest.mark.parametrize("data, message", [
    ({"source": "robots"}, "data.source: must be one of human, teacher, logs, got 'robots'"),
    ({"acceptance_rate": 0}, "data.acceptance_rate: must be a share in (0, 1], got 0"),
    ({"holdout_share": 1.0}, "data.holdout_share: must be a share in [0, 1), got 1.0"),
    ({"review_share": 1.5}, "data.review_share: must be a share in [0, 1], got 1.5"),
    ({"judge_provider": "openai"}, "data.judge_provider: set only with data.judge_model"),
    ({"teacher_prompt": "Answer.", "teacher_input_tokens": 10},
     "data.teacher_prompt: give either teacher_prompt (counted) or teacher_input_tokens"),
    ({"colour": "blue"}, "data.colour: unknown field"),
])
def test_bad_data_fields_name_the_field(data, message):
    with pytest.raises(InputError) as err:
        scenario(data)
    assert message in str(err.value)


def test_missing_sample_file_names_the_field(tmp_path):
    s = scenario({"source": "teacher", "teacher_samples": "nope.jsonl",
                  "teacher_input_usd_per_mtok": 1.0, "teacher_cached_input_usd_per_mtok": 1.0,
                  "teacher_output_usd_per_mtok": 1.0, "teacher_batch_discount": 0.0})
    s = Scenario.from_dict(s.to_dict(), source_dir=tmp_path)
    with pytest.raises(InputError) as err:
        simulate(s)
    assert str(err.value).startswith("data.teacher_samples: ")
    assert "no such file" in str(err.value)
