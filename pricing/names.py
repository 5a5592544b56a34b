"""Model identifiers as users type them, reduced to what a price or tokenizer lookup needs.

Users paste ids in many shapes: ``gpt-4o-2024-08-06`` (a dated snapshot), ``openai/gpt-4o``
(a provider prefix, as in LiteLLM or OpenRouter), ``ft:gpt-4o-mini-2024-07-18:org::abc``
(an OpenAI fine-tuned model), ``Claude-3-5-Sonnet`` (odd case). :func:`parse_model_id` turns
all of them into one :class:`ModelId`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

# Prefixes that name a provider rather than a model family (``openai/gpt-4o``).
PROVIDER_PREFIXES = frozenset(
    {
        "openai", "azure", "azure_ai", "anthropic", "google", "gemini", "vertex_ai", "vertex",
        "mistral", "mistralai", "together", "together_ai", "fireworks", "fireworks_ai",
        "groq", "deepseek", "cohere", "bedrock", "openrouter", "x-ai", "xai",
    }
)

PROVIDER_NAMES = {
    "openai": "OpenAI", "azure": "Azure OpenAI", "azure-developer": "Azure OpenAI (Developer)",
    "google": "Google", "google-vertex": "Vertex AI", "anthropic": "Anthropic",
    "together": "Together AI", "fireworks": "Fireworks AI", "aws": "AWS Bedrock",
    "bedrock": "AWS Bedrock", "mistral": "Mistral", "deepseek": "DeepSeek", "meta": "Meta",
}
"""How a provider id is written for a reader (ids not listed are shown as they are)."""


def provider_name(provider: str) -> str:
    """A provider id as a reader knows it: ``openai`` -> ``OpenAI``."""
    return PROVIDER_NAMES.get(provider.lower(), provider)


# A dated snapshot suffix: -2024-08-06, -20240806, or OpenAI's old -0125 / -1106 style.
_SNAPSHOT = re.compile(r"-(\d{4}-\d{2}-\d{2}|\d{8}|\d{4})$")


@dataclass(frozen=True, kw_only=True)
class ModelId:
    """A model id taken apart.

    Attributes
    ----------
    raw : the id as given (stripped)
    name : lower-case id without provider prefix or fine-tune wrapper (may keep a snapshot date)
    alias : ``name`` without its snapshot date (equal to ``name`` when there is none)
    provider : provider named by a prefix or implied by the id (``"openai"`` for ``ft:``), or None
    finetuned : True for an OpenAI ``ft:`` id
    """

    raw: str
    name: str
    alias: str
    provider: str | None
    finetuned: bool

    @property
    def candidates(self) -> tuple[str, ...]:
        """Names to try, most specific first."""
        return (self.name,) if self.name == self.alias else (self.name, self.alias)


def parse_model_id(model: str) -> ModelId:
    """Take a user-typed model id apart.

    >>> m = parse_model_id("ft:gpt-4o-mini-2024-07-18:acme::abc123")
    >>> (m.alias, m.provider, m.finetuned)
    ('gpt-4o-mini', 'openai', True)
    >>> parse_model_id("openai/GPT-4.1-2025-04-14").candidates
    ('gpt-4.1-2025-04-14', 'gpt-4.1')
    """
    if not isinstance(model, str):
        raise TypeError(f"model must be a string, got {type(model).__name__}")
    raw = model.strip()
    name = raw.lower()
    provider = None
    finetuned = False
    if name.startswith("ft:"):
        finetuned = True
        provider = "openai"
        name = name[3:].split(":", 1)[0]
    first, slash, rest = name.partition("/")
    if slash and first in PROVIDER_PREFIXES and rest:
        provider = provider or first
        name = rest
    alias = _SNAPSHOT.sub("", name) if not _looks_like_size(name) else name
    return ModelId(raw=raw, name=name, alias=alias or name, provider=provider, finetuned=finetuned)


def _looks_like_size(name: str) -> bool:
    # Do not cut "-1106" style suffixes from names that are not snapshots, such as a bare number.
    return re.fullmatch(r"[\d.-]+", name) is not None


_SIZE = re.compile(r"(?<![\w.])(\d+(?:\.\d+)?)b(?![a-z0-9])")


def base_model_key(model: str) -> str:
    """A fine-tuning base model reduced to what providers share, so that one name finds the
    offerings for that model at every provider.

    >>> base_model_key("meta-llama/Llama-3.1-8B-Instruct")
    'llama-3.1-8b'
    >>> base_model_key("accounts/fireworks/models/llama-v3p1-8b-instruct")
    'llama-3.1-8b'
    >>> base_model_key("meta-llama/meta-llama-3.1-8b-instruct-reference")
    'llama-3.1-8b'
    """
    name = parse_model_id(model).alias.rsplit("/", 1)[-1]
    name = re.sub(r"^meta-(?=llama)", "", name)
    name = re.sub(r"(?<=\d)p(?=\d)", ".", name)            # Fireworks: v3p1 -> v3.1
    name = re.sub(r"^llama-v(?=\d)", "llama-", name)
    name = re.sub(r"(-(instruct|reference|turbo|it|chat|hf))+$", "", name)
    return name


def params_b(model: str) -> float | None:
    """The parameter count a model's name states [billions]: ``llama-3.1-8b`` -> 8,
    ``qwen3-235b-a22b`` -> 235; None when the name states none."""
    match = _SIZE.search(base_model_key(model))
    return float(match.group(1)) if match else None
