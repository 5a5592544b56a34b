"""Answers the model keeps between calls: each is keyed on everything it depends on, so two
models, dates or tables never share one."""

from __future__ import annotations

from simulator.model.resolve import chat_overhead, scenario_values
from simulator.model.scenario import example_scenario


def test_chat_overhead_is_each_model_s_own():
    # o200k_base: 3 tokens per message (2), each role's token (2), 3 to prime the reply = 11;
    # Claude has no public tokenizer: 11 × 1.12 (its estimate's factor) = 12.3, rounded.
    for _ in range(2):
        assert chat_overhead("gpt-4o") == 11.0
        assert chat_overhead("claude-sonnet-4") == 12.0
    assert isinstance(chat_overhead("gpt-4o"), float)


def test_scenario_values_are_floats_flags_and_none():
    values = scenario_values(example_scenario())
    assert values["horizon_months"] == 24.0 and type(values["horizon_months"]) is float
    assert values["prompt.already_built"] == 1.0 and values["finetune.already_trained"] == 0.0
    assert values["finetune.examples_on_hand"] == 600.0
    assert values["finetune.epochs"] is None          # "auto", derived in the chain
    assert all(v is None or type(v) is float for v in values.values())
