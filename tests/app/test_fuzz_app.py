"""Fuzz of the app through AppTest: random values, anywhere in each widget's range, for the
inputs a user moves most. The page must never show an exception: it answers, or it says
what is wrong beside the input."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from streamlit.testing.v1 import AppTest
from test_app import APP, assert_clean, metrics

from simulator.app import state as appstate

NUMBER_KEYS = ("workload.requests_per_month", "workload.input_tokens",
               "workload.output_tokens", "prompt.system_prompt_tokens",
               "prompt.fewshot_tokens", "prompt.engineering_hours",
               "finetune.examples", "finetune.tokens_per_example")
SLIDER_KEYS = ("workload.growth_per_month", "horizon_months", "finetune.retrain_every_months")


def in_range(key: str):
    f = appstate.FIELD_BY_PATH[key]
    if f.integer:
        return st.integers(int(f.lo), int(f.hi))
    return st.floats(f.lo, f.hi, allow_nan=False).map(lambda x: round(x / f.step) * f.step
                                                      if f.step >= 1 else x)


@st.composite
def widget_settings(draw):
    keys = draw(st.lists(st.sampled_from(NUMBER_KEYS + SLIDER_KEYS), min_size=1, max_size=4,
                         unique=True))
    return {k: draw(in_range(k)) for k in keys}


@settings(max_examples=8, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(widget_settings(), st.booleans())
def test_random_widget_values_never_break_the_page(values, mc_on):
    at = AppTest.from_file(APP, default_timeout=60).run()
    at.toggle(key="ui.mc_on").set_value(mc_on)
    for key, value in values.items():
        f = appstate.FIELD_BY_PATH[key]
        value = min(max(value, f.lo), f.hi)
        widget = at.slider(key=key) if f.slider else at.number_input(key=key)
        widget.set_value(int(value) if f.integer else float(value))
    at.run()
    assert_clean(at)
    answered = bool(metrics(at).get("Best option"))
    explained = any(e.value for e in at.error)
    assert answered or explained, values
