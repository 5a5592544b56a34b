"""What a teacher model reads and writes per example, measured from sample examples.

A chat JSONL of examples (the format a fine-tuning file has) shows what a teacher would be
asked and what it would answer: everything before the last assistant message is the
teacher's input (counted as a chat request, with the chat overhead), the last assistant
message its output. The legacy ``{"prompt", "completion"}`` form counts the prompt as input
and the completion as output. Counted with :mod:`simulator.tokens.tokens` for the teacher model.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from ..core.errors import InputError
from ..tokens import tokens


@dataclass(frozen=True, kw_only=True)
class SampleTokens:
    """Mean tokens a teacher reads and writes per example.

    n_examples : examples counted; n_errors : lines left out (bad JSON, no assistant turn)
    input_tokens : mean tokens before the last assistant message [tokens/example]
    output_tokens : mean tokens of the last assistant message [tokens/example]
    exact : False when the model's tokenizer is estimated (``note`` says by how much)
    """

    n_examples: int
    n_errors: int
    input_tokens: float
    output_tokens: float
    exact: bool
    note: str = ""


def _split(record: Any, model: str) -> tuple[tokens.TokenCount, tokens.TokenCount]:
    if not isinstance(record, dict):
        raise InputError("expected a JSON object")
    if "messages" in record:
        messages = record["messages"]
        if not isinstance(messages, list) or not messages:
            raise InputError("'messages' must be a non-empty list")
        last = max((i for i, m in enumerate(messages)
                    if isinstance(m, dict) and m.get("role") == "assistant"), default=None)
        if last is None:
            raise InputError("no assistant message: nothing for a teacher to write")
        answer = " ".join(tokens.message_text_parts(messages[last])[1:])
        return (tokens.count_chat_tokens(messages[:last], model),
                tokens.count_tokens(answer, model))
    prompt, completion = record.get("prompt"), record.get("completion")
    if not isinstance(prompt, str) or not isinstance(completion, str):
        raise InputError("no 'messages' (chat format) or 'prompt'/'completion' text")
    return tokens.count_tokens(prompt, model), tokens.count_tokens(completion, model)


def sample_tokens(source: Any, model: str) -> SampleTokens:
    """Mean input and output tokens per example of a JSONL of samples, for ``model``.

    ``source``: a path, a file object or a list of dicts (as
    :func:`simulator.tokens.tokens.analyze_dataset` takes). Bad lines are left out and counted;
    a file with no usable example raises :class:`~simulator.core.errors.InputError`.
    """
    n = errors = 0
    total_in = total_out = 0
    exact, note, first_error = True, "", ""
    for line_no, raw in tokens._iter_lines(source):
        try:
            record = raw if isinstance(raw, dict) else json.loads(raw)
            if record is None or (isinstance(raw, (str, bytes)) and not raw.strip()):
                continue
            counted_in, counted_out = _split(record, model)
        except (ValueError, InputError) as exc:
            if isinstance(raw, (str, bytes)) and not raw.strip():
                continue
            errors += 1
            first_error = first_error or f"line {line_no}: {exc}"
            continue
        n += 1
        total_in += int(counted_in)
        total_out += int(counted_out)
        if not (counted_in.exact and counted_out.exact):
            exact, note = False, counted_in.note or counted_out.note
    if n == 0:
        raise InputError("no usable sample examples" + (f" ({first_error})" if first_error
                                                         else " (the file is empty)"))
    return SampleTokens(n_examples=n, n_errors=errors, input_tokens=total_in / n,
                        output_tokens=total_out / n, exact=exact, note=note)
