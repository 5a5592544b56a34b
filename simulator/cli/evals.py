"""The ``ftroi evals`` subcommand: graded eval results in, counts, intervals and a paired
comparison out; ``--to-scenario`` writes the counts as ``<option>.eval_correct`` /
``<option>.eval_total``.

:func:`register` adds it to the subparsers of ``simulator.cli.main``. Errors the user can fix
propagate to ``simulator.cli.main.main``, which prints them as one line and exits with status 2.
"""

from __future__ import annotations

import argparse
import json
import sys
import textwrap
from pathlib import Path
from typing import IO

from ..core.errors import InputError

EXIT_OK = 0
WIDTH = 100
"""Columns of the printed report."""
NAME_WIDTH = 40
"""Characters of an option name shown in the tables (longer names end in "…")."""


def _fit(name: str, width: int = NAME_WIDTH) -> str:
    """``name`` printable on one line and at most ``width`` characters."""
    clean = "".join(ch if ch.isprintable() else "?" for ch in name)
    return clean if len(clean) <= width else clean[:width - 1] + "…"


def _wrap(text: str) -> str:
    """``text`` in lines of at most :data:`WIDTH` columns, continued with an indent."""
    return textwrap.fill(text, WIDTH, subsequent_indent="    ", break_on_hyphens=False)


def _pct(x: float) -> str:
    return f"{100 * x:.1f}%"


def print_summary(answers, summary, out: IO[str] | None = None) -> None:
    """Files read, per-option counts with their intervals, and the paired comparisons."""
    out = sys.stdout if out is None else out

    def say(text: str = "") -> None:
        print(text, file=out)

    for path, fmt, n in answers.files:
        say(f"read  {_fit(path, 70)} ({fmt}, {n:,} graded answers)")
    say()
    width = max(len("option"), *(len(_fit(c.option)) for c in summary.counts))
    level = round(100 * summary.counts[0].level)
    say(f"{'option':<{width}}  {'correct':>7}  {'total':>7}  {'accuracy':>8}  "
        f"{level}% interval (Jeffreys)")
    for c in summary.counts:
        low, high = c.interval
        say(f"{_fit(c.option):<{width}}  {c.correct:>7,}  {c.total:>7,}  "
            f"{_pct(c.accuracy):>8}  {_pct(low)} – {_pct(high)}")
    if not summary.comparisons:
        say()
        say("no two options were graded on the same example ids: no paired comparison")
    for pair in summary.comparisons:
        _print_pair(pair, say)
    for note in answers.notes:
        say(_wrap(f"note: {note}"))


def _print_pair(pair, say) -> None:
    first, second = _fit(pair.first, 30), _fit(pair.second, 30)
    low, high = pair.difference_interval()
    level = round(100 * pair.level)
    say()
    say(f"{first} vs {second}, on the {pair.pairs:,} examples graded on both:")
    rows = [
        (f"right with {first} only (b)", f"{pair.first_only:,}"),
        (f"right with {second} only (c)", f"{pair.second_only:,}"),
        ("right with both / neither", f"{pair.both:,} / {pair.neither:,}"),
        ("accuracy difference", (f"{100 * pair.difference:+.1f} points ({level}% interval "
                                 f"{100 * low:+.1f} to {100 * high:+.1f})")),
        ("exact McNemar p", f"{pair.mcnemar_p:.3g} (two-sided binomial test of b in b + c)"),
        (f"P({first} more accurate)",
         f"{pair.prob_first_better:.3f} (θ ~ Beta(b+½, c+½), P(θ > ½))"),
    ]
    width = max(len(label) for label, _ in rows)
    for label, value in rows:
        say(f"  {label:<{width}}  {value}")


def parse_maps(items: list[str] | None) -> dict[str, str]:
    """``["name=option", …]`` as ``{name: option}`` (the option is after the last ``=``)."""
    mapping: dict[str, str] = {}
    for item in items or []:
        name, sep, option = item.rpartition("=")
        name, option = name.strip(), option.strip()
        if not sep or not name or not option:
            raise InputError(f"--map: expected NAME=OPTION (e.g. --map gpt-6.1-terra=prompt), "
                             f"got {item!r}")
        if name in mapping and mapping[name] != option:
            raise InputError(f"--map: {name!r} is mapped twice ({mapping[name]}, {option})")
        mapping[name] = option
    return mapping


def _read_base(path: str | None) -> tuple[str, dict, str]:
    """The starting scenario: ``(text, parsed fields, suffix)``; the shipped example when no
    ``--scenario`` is given."""
    from ..core import limits
    from ..model.scenario import example_scenario_text

    if path is None:
        text = example_scenario_text()
        return text, limits.parse_toml(text, field="example scenario"), ".toml"
    base = Path(path)
    suffix = base.suffix.lower()
    if suffix not in (".toml", ".json"):
        raise InputError(f"--scenario: {path}: a scenario file must end in .toml or .json")
    if not base.is_file():
        raise InputError(f"--scenario: {path}: no such file")
    raw = base.read_bytes()
    parse = limits.parse_toml if suffix == ".toml" else limits.parse_json
    data = parse(raw, field=str(path))
    if not isinstance(data, dict):
        raise InputError(f"--scenario: {path}: expected a table of fields")
    return raw.decode("utf-8-sig"), data, suffix


def _check_scenario(data: dict, where: str) -> None:
    """Refuse counts the scenario would refuse, once this ftroi reads ``eval_correct``."""
    from ..model.evals import eval_options
    from ..model.scenario import SECTION_TYPES, Scenario

    takes = any("eval_correct" in getattr(SECTION_TYPES[o], "__dataclass_fields__", {})
                for o in eval_options())
    if takes:
        try:
            Scenario.from_dict(data)
        except InputError as exc:
            raise InputError(f"{where}: the scenario with these counts is refused: {exc}") \
                from None


def write_scenario(args: argparse.Namespace, summary) -> list[str]:
    """Write the counts into ``--to-scenario``; return the lines to print."""
    from ..core import limits
    from ..core.files import write_files
    from ..model.evals import map_options, scenario_with_counts
    from ..model.scenario import OPTIONS

    target = Path(args.to_scenario)
    if target.suffix.lower() not in (".toml", ".json"):
        raise InputError(f"--to-scenario: {target}: a scenario file must end in .toml or .json")
    text, data, suffix = _read_base(args.scenario)
    models = {o: data[o].get("model") for o in OPTIONS if isinstance(data.get(o), dict)}
    by_name = summary.counts_by_option()
    chosen, left = map_options(list(by_name), parse_maps(args.map), models)
    if not chosen:
        raise InputError(f"--to-scenario: none of the options in the eval files "
                         f"({', '.join(map(_fit, by_name))}) is a scenario option: map them "
                         f"with --map NAME=OPTION (e.g. --map {_fit(next(iter(by_name)))}"
                         f"=prompt)")
    counts = {chosen[name]: by_name[name] for name in by_name if name in chosen}
    kept = True
    if suffix == ".toml" and target.suffix.lower() == ".toml":
        new_text, kept = scenario_with_counts(text, counts)
        new_data = limits.parse_toml(new_text, field=str(target))
    else:
        new_data = json.loads(json.dumps(data))
        for option, (k, n) in counts.items():
            new_data.setdefault(option, {}).update(eval_correct=k, eval_total=n)
        if target.suffix.lower() == ".json":
            new_text = json.dumps(new_data, indent=2, ensure_ascii=False) + "\n"
        else:
            import tomli_w

            new_text, kept = tomli_w.dumps(new_data), suffix == ".json"  # JSON has no comments
    _check_scenario(new_data, str(target))
    same = args.scenario is not None and target.exists() \
        and target.resolve() == Path(args.scenario).resolve()
    write_files({target: new_text}, overwrite=args.force or same, what="--to-scenario")
    lines = [f"wrote {target}:"]
    for name, option in chosen.items():
        k, n = by_name[name]
        via = "" if name == option else f", from {_fit(name)}"
        lines.append(f"  {option}.eval_correct = {k}, eval_total = {n}: accuracy "
                     f"{_pct((k + 0.5) / (n + 1))} (posterior mean){via}")
    simulated = set(new_data.get("options") or ()) | {new_data.get("baseline", "prompt")}
    for option in counts:
        if "options" in new_data and option not in simulated:
            lines.append(f"note: {option} is not in the scenario's options: its counts are "
                         f"written but it is not simulated")
    for name in left:
        lines.append(f"note: {_fit(name)} is not written: no scenario option of that name "
                     f"(--map {_fit(name)}=OPTION)")
    if not kept:
        lines.append("note: the scenario was rewritten from its fields: its comments are gone")
    lines.append(f"run it: ftroi simulate {target}")
    return lines


def cmd_evals(args: argparse.Namespace) -> int:
    """Read graded eval files; print counts, intervals and paired comparisons; optionally
    write the counts into a scenario."""
    from ..model.evals import Columns, read_graded, summarize

    if args.scenario and not args.to_scenario:
        raise InputError("--scenario: only with --to-scenario (the scenario to update)")
    if args.map and not args.to_scenario:
        raise InputError("--map: only with --to-scenario")
    columns = Columns(id=args.id_column, option=args.option_column,
                      correct=args.correct_column, score=args.score_column,
                      threshold=args.threshold, scorer=args.scorer)
    answers = read_graded(args.files, format=args.format, columns=columns)
    summary = summarize(answers)
    print_summary(answers, summary)
    if args.to_scenario:
        lines = write_scenario(args, summary)
        print()
        print("\n".join(_wrap(line) for line in lines))
    return EXIT_OK


def register(subparsers) -> None:
    """Add ``evals`` to an argparse subparsers object."""
    from ..model.evals import FORMATS

    p = subparsers.add_parser(
        "evals", help="accuracy per option from graded eval results, with intervals and a "
                      "paired comparison",
        description="Read graded eval results (CSV, JSONL, promptfoo output, Inspect AI logs), "
                    "print each option's accuracy with its 95% Jeffreys interval and, for "
                    "options graded on the same example ids, a paired comparison.")
    p.add_argument("files", nargs="+", metavar="FILE",
                   help="graded answers: CSV/JSONL (example id, option, correct or score), "
                        "promptfoo eval -o results.json/.jsonl, Inspect .json or .eval logs")
    p.add_argument("--format", default="auto", choices=FORMATS,
                   help="file shape (default: told by name and content)")
    p.add_argument("--id-column", metavar="NAME",
                   help="example-id column (default: id, example_id, sample_id, item_id, "
                        "test_id, doc_id)")
    p.add_argument("--option-column", metavar="NAME",
                   help="option/model column (default: option, model, variant, provider; "
                        "none: the file's name)")
    p.add_argument("--correct-column", metavar="NAME",
                   help="right/wrong column, 1/0 or true/false (default: correct, passed, "
                        "pass, is_correct, success, acc, exact_match)")
    p.add_argument("--score-column", metavar="NAME",
                   help="numeric score column, right when score >= --threshold (default when "
                        "no right/wrong column: score)")
    p.add_argument("--threshold", type=float, default=0.5,
                   help="pass mark for scores, including Inspect's (default 0.5: Inspect's "
                        "partial credit P counts as right)")
    p.add_argument("--scorer", metavar="NAME",
                   help="Inspect scorer to read when a log has several (default: the first)")
    p.add_argument("--to-scenario", metavar="PATH",
                   help="write the counts as <option>.eval_correct / eval_total into this "
                        "scenario (.toml or .json)")
    p.add_argument("--scenario", metavar="SCENARIO",
                   help="with --to-scenario: the scenario to start from (default: the "
                        "example); the same path updates it in place")
    p.add_argument("--map", action="append", metavar="NAME=OPTION",
                   help="with --to-scenario: the scenario option of a model/option in the "
                        "files, e.g. --map ft:nova=finetune (repeatable; names that are "
                        "option names, or an option's model, map by themselves)")
    p.add_argument("--force", action="store_true",
                   help="replace the --to-scenario file if it exists (refused otherwise)")
    p.set_defaults(func=cmd_evals)
