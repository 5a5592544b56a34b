"""Hostile share links (issue 21): text from a link is shown as text, never as markdown.

The browser half (no request leaves the machine) is in ``test_browser.py``.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from strategies import fuzz_examples, hostile_text
from streamlit.testing.v1 import AppTest

from simulator.app import state as appstate
from simulator.app.state import as_text, state_from_query

APP = str(Path(__file__).resolve().parents[2] / "app.py")
IMAGE = "![x](http://hostile.example/m.png)"
HOSTILE_LINK = {
    "prompt.model": IMAGE, "selfhost.gpu": IMAGE, "finetune.offering": IMAGE,
    "rag.embedding_model": IMAGE, "prompt.successor": f"openai/{IMAGE}",
    "prompt.provider": "<img src=http://hostile.example/i.png>", f"x{IMAGE}": IMAGE,
    "title": ":red[**alarm**] $\\href{http://hostile.example}{x}$",
}

ACTIVE = re.compile(r"(?<!\\)(?:\\\\)*[\[\]<>!*`$|~]")
"""A markdown syntax character not escaped by a backslash."""


def unescape(text: str) -> str:
    return re.sub(r"\\([!-/:-@\[-`{-~])", r"\1", text)


def test_as_text_by_hand():
    assert as_text(IMAGE) == "\\!\\[x\\](http\\://hostile.example/m.png)"
    assert as_text("prompt.model: 'gpt-4o' (input_usd_per_mtok)") == \
        "prompt.model: 'gpt-4o' (input_usd_per_mtok)"   # ordinary messages unchanged
    assert as_text("- a\n# b\n12. c") == "\\- a  \n\\# b  \n12\\. c"
    assert as_text("a\x1b[2Jb\x07") == "a\\[2Jb"


@settings(max_examples=fuzz_examples(300), deadline=None)
@given(st.one_of(hostile_text, st.text(alphabet=st.sampled_from(
    list("![]()<>*_`#:$|~&\\-+=. \n1abc")), max_size=40)))
def test_fuzz_as_text_leaves_no_markup_and_keeps_every_character(text):
    out = as_text(text)
    assert not ACTIVE.search(out), out
    assert not re.search(r"(?<![\w\\]):(?=\S)", out)      # no :directive[ or :emoji:
    assert not re.search(r"(?<![\w\\])_|_(?![\w])", out.replace("\\_", ""))
    for line in out.split("  \n"):
        assert not re.match(r"\s*(?:[-+=]|\d+[.)])", line), line   # no list or heading
    shown = "".join(c for c in text if c == "\n" or not (  # control characters dropped
        c < " " or "\x7f" <= c < "\xa0" or c in "\u2028\u2029"))
    assert unescape(out.replace("  \n", "\n")) == shown


@settings(max_examples=fuzz_examples(200), deadline=None)
@given(st.dictionaries(st.one_of(st.sampled_from(list(HOSTILE_LINK) + [
    "workload.requests_per_month", "horizon_months", "as_of", "options", "ui.seed",
    "prices", "finetune.epochs_auto", "prompt.mode"]), hostile_text),
    st.one_of(hostile_text, st.sampled_from(["9999-12-31", "nan", "1e400", "-1", "{}",
                                             '{"inference": 5}', "true"])), max_size=6))
def test_fuzz_query_params_give_widget_values_and_problems(params):
    state, problems = state_from_query(params)
    assert all(isinstance(p, str) and p for p in problems)
    assert set(appstate.WIDGET_KEYS) <= set(state)


def markdown_values(at: AppTest) -> list[str]:
    return [el.value for kind in ("error", "warning", "info", "caption", "markdown", "success")
            for el in getattr(at, kind)]


def test_a_hostile_link_is_shown_as_text_in_every_message():
    at = AppTest.from_file(APP, default_timeout=120)
    for key, value in HOSTILE_LINK.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    texts = markdown_values(at)
    hostile = [t for t in texts if "hostile" in t or "alarm" in t]
    assert hostile, texts
    for text in hostile:
        assert "\\!\\[x\\](http\\://hostile.example" in text or "alarm" in text \
            or "\\<img" in text, text
        assert "![" not in text.replace("\\!\\[", "") and "<img" not in text.replace(
            "\\<img", ""), text
    link = [t for t in texts if t.startswith(("Link\\:", "Link:"))]
    assert any("x\\!\\[x\\]" in t and "not a scenario field" in t for t in link), link


def test_a_far_as_of_in_a_link_is_one_message():
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["as_of"] = "9999-12-31"
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert any("2100-12-31" in unescape(t) for t in markdown_values(at)), markdown_values(at)


@pytest.mark.parametrize("model", ["text-embedding-3-small"])
def test_an_embedding_model_in_a_link_is_refused(model):
    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["prompt.model"] = model
    at.run()
    assert not at.exception
    assert any("is an embedding model" in t for t in markdown_values(at))


def test_a_link_with_a_long_horizon_and_steep_growth_answers_in_bounded_time():
    """120 months at 19% a month with every option (self-hosting's replica steps included):
    once a minute and gigabytes; the page now answers within the AppTest timeout."""
    import time

    at = AppTest.from_file(APP, default_timeout=120)
    at.query_params["horizon_months"] = "120"
    at.query_params["workload.growth_per_month"] = "19"
    at.query_params["options"] = "prompt,rag,finetune,selfhost,hybrid"
    started = time.perf_counter()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert time.perf_counter() - started < 90
    assert at.metric, markdown_values(at)
