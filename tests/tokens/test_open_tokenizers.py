"""Open-model tokens: our counts against each package's own tokenizer on a real corpus.

The comparisons need the optional extra (``pip install -e ".[open-models]"``) and are skipped
without it; the model mapping and the labelled fallback are tested either way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from simulator.tokens import open_tokenizers, tokens
from simulator.tokens.open_tokenizers import encoding_for_model

ROOT = Path(__file__).resolve().parents[2]
MULTILINGUAL = [
    "Le délai de livraison est dépassé ; je voudrais être remboursé, s'il vous plaît.",
    "Die Rechnung vom 3. März enthält 2 Positionen, die ich nicht bestellt habe.",
    "注文した商品がまだ届いていません。追跡番号は 1234-5678 です。",
    "Мой пароль не работает после обновления приложения.",
    "الرجاء إلغاء اشتراكي في نهاية الشهر",
    "def f(x):\n    return {'a': [1, 2, 3], \"b\": x ** 2}  # 🙂 naïve café\n\n\n",
    "   leading spaces, trailing tabs\t\t\n\r\nCRLF and <|endoftext|> <|eot_id|> [INST]",
]


def corpus() -> list[str]:
    """Real text: this project's README, source files and price notes, in paragraphs, plus
    sentences in six scripts."""
    texts = []
    for path in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md")),
                 *sorted((ROOT / "simulator").rglob("*.py")),
                 *sorted((ROOT / "pricing" / "data").glob("*.md"))]:
        text = path.read_text(encoding="utf-8")
        texts.append(text)
        texts.extend(p for p in text.split("\n\n") if p.strip())
    return texts + MULTILINGUAL


@pytest.fixture(autouse=True)
def fresh_caches():
    tokens.tokenizer_for.cache_clear()
    yield
    tokens.tokenizer_for.cache_clear()


# ---- mapping (always) ---------------------------------------------------------------------------

@pytest.mark.parametrize("model, encoding", [
    ("llama-3.1-8b-instruct", "llama3"),
    ("meta-llama/meta-llama-3.1-70b-instruct", "llama3"),
    ("llama-3.3-70b-versatile", "llama3"),
    ("llama-4-maverick-17b-128e-instruct", "llama4"),
    ("meta-llama/llama-4-scout-17b-16e-instruct", "llama4"),
    ("open-mistral-nemo", "tekken"),
    ("pixtral-12b-2409", "tekken"),
    ("qwen2.5-7b-instruct", "qwen"),
    ("qwen3-235b-a22b", "qwen"),
    ("qwq-32b", "qwen"),
    ("qwen3.5-plus", None),            # a newer tokenizer: stays an estimate
    ("mistral-large-2411", None),      # SentencePiece, not shipped as tiktoken
    ("gpt-4o", None),
])
def test_model_to_open_encoding(model, encoding):
    assert encoding_for_model(model) == encoding


def test_without_the_extra_the_estimate_says_which_install_makes_it_exact(monkeypatch):
    monkeypatch.setattr(open_tokenizers, "available", lambda name: False)
    tok = tokens.tokenizer_for("llama-3.1-8b-instruct")
    assert not tok.exact and tok.encoding == "o200k_base"
    assert tok.note.endswith('pip install "ftroi[open-models]" makes it exact')
    count = tokens.count_tokens("hello world", "llama-3.1-8b-instruct")
    assert not count.exact and "open-models" in count.note
    assert "open-models" not in tokens.tokenizer_for("claude-sonnet-4-5").note


def test_missing_package_is_a_clear_error(monkeypatch):
    monkeypatch.setattr(open_tokenizers, "file_path", lambda name: None)
    open_tokenizers.encoding_spec.cache_clear()
    with pytest.raises(open_tokenizers.OpenTokenizerMissing, match="open-models"):
        open_tokenizers.encoding_spec("qwen")
    open_tokenizers.encoding_spec.cache_clear()


def test_special_token_tables_have_the_published_sizes():
    sizes = {name: len(e.special) for name, e in open_tokenizers.OPEN_ENCODINGS.items()}
    assert sizes == {"llama3": 256, "llama4": 2048, "tekken": 0, "qwen": 208}
    for e in open_tokenizers.OPEN_ENCODINGS.values():
        assert len(set(e.special)) == len(e.special)


# ---- against the packages (with the extra) -------------------------------------------------------

def ours(encoding: str):
    enc = tokens.get_encoding(encoding)
    return lambda text: len(enc.encode_ordinary(text))


def assert_same_counts(mine, theirs):
    texts = corpus()
    assert len(texts) > 200
    mismatches = [(t[:60], mine(t), theirs(t)) for t in texts if mine(t) != theirs(t)]
    assert mismatches == []


def test_llama3_equals_llama_models_tokenizer():
    pytest.importorskip("llama_models")
    from llama_models.llama3.tokenizer import Tokenizer

    theirs = Tokenizer.get_instance()
    assert_same_counts(ours("llama3"), lambda t: len(theirs.encode(
        t, bos=False, eos=False, allowed_special=set(), disallowed_special=())))
    assert tokens.get_encoding("llama3").n_vocab == theirs.n_words
    assert tokens.get_encoding("llama3")._special_tokens == theirs.special_tokens
    tok = tokens.tokenizer_for("llama-3.1-8b-instruct")
    assert tok.exact and tok.encoding == "llama3" and tok.note == ""


def test_llama4_equals_llama_models_tokenizer():
    pytest.importorskip("llama_models")
    from llama_models.llama4.tokenizer import Tokenizer

    theirs = Tokenizer.get_instance()
    assert_same_counts(ours("llama4"), lambda t: len(theirs.encode(
        t, bos=False, eos=False, allowed_special=set(), disallowed_special=())))
    assert tokens.get_encoding("llama4")._special_tokens == theirs.special_tokens


def test_tekken_equals_mistral_common_tokenizer():
    pytest.importorskip("mistral_common")
    from mistral_common.tokens.tokenizers.tekken import Tekkenizer

    theirs = Tekkenizer.from_file(open_tokenizers.file_path("tekken"))
    assert_same_counts(ours("tekken"), lambda t: len(theirs.encode(t, bos=False, eos=False)))


def test_qwen_equals_dashscope_tokenizer():
    pytest.importorskip("dashscope")
    from dashscope.tokenizers.qwen_tokenizer import QwenTokenizer

    theirs = QwenTokenizer(str(open_tokenizers.file_path("qwen")))
    assert_same_counts(ours("qwen"), lambda t: len(theirs.encode(
        t, allowed_special=set(), disallowed_special=())))


def test_llama3_chat_template_overhead_equals_llama_models_chat_format():
    pytest.importorskip("llama_models")
    pytest.importorskip("PIL")
    from llama_models.datatypes import RawMessage
    from llama_models.llama3.chat_format import ChatFormat
    from llama_models.llama3.tokenizer import Tokenizer

    dialog = [("system", "You are a support triage bot."), ("user", MULTILINGUAL[0]),
              ("assistant", "billing"), ("user", MULTILINGUAL[2])]
    prompt = ChatFormat(Tokenizer.get_instance()).encode_dialog_prompt(
        [RawMessage(role=role, content=text) for role, text in dialog])
    count = ours("llama3")
    text_tokens = sum(count(text) for _, text in dialog)
    overhead = open_tokenizers.chat_template_tokens("llama3",
                                                    [count(role) for role, _ in dialog])
    assert len(prompt.tokens) == text_tokens + overhead


def test_workload_from_logs_counts_llama_exactly(tmp_path):
    pytest.importorskip("llama_models")
    import json

    from simulator.traffic.workload import from_logs

    path = tmp_path / "llama.jsonl"
    users = MULTILINGUAL[:4]
    path.write_text("".join(json.dumps({"model": "llama-3.3-70b-instruct", "messages": [
        {"role": "system", "content": "Classify."}, {"role": "user", "content": u}]}) + "\n"
        for u in users))
    report = from_logs(path, workers=1)
    assert report.exact and report.encoding == "llama3"
    count = ours("llama3")
    assert report.input_tokens.mean == pytest.approx(sum(map(count, users)) / 4)
    assert report.system_prompt_tokens == count("Classify.")
