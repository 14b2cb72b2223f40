"""``symbackprop audit``: every value a lecture states, against the recomputed one."""

from __future__ import annotations

from typing import Annotated

import typer

from symbackprop.cli.common import (
    EXIT_DISAGREEMENT,
    app,
    check_digits,
    console,
    exercise_references,
    print_json,
    reports_errors,
)

_STYLES = {"match": "green", "rounded_early": "yellow", "mismatch": "bold red", "not_checkable": "dim"}
_WIDEST = 40  # the terminal cuts a longer stated formula or computed one with "…" (the JSON has it whole)


@app.command()
@reports_errors
def audit(
    exercises: Annotated[
        list[str] | None, typer.Argument(help="Catalog ids, .toml files or folders of them.", show_default=False)
    ] = None,
    all_: Annotated[bool, typer.Option("--all", help="Audit every exercise of the catalog.")] = False,
    problems: Annotated[
        bool, typer.Option("--problems", help="Only what a lecturer should change: mismatch and rounded_early.")
    ] = False,
    digits: Annotated[int, typer.Option("--digits", help="Significant figures in the terminal (1–17).")] = 6,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON.")] = False,
) -> None:
    """Each [stated] number and formula with a verdict: match, rounded_early, mismatch, not_checkable.

    A problem says where the deck prints it, why it is wrong and what to print instead.
    """
    from symbackprop.auditing.checker import audit as audit_exercise
    from symbackprop.auditing.report import audit_dict
    from symbackprop.exercise.model import load

    check_digits(digits)
    references = exercise_references(exercises, all_)
    entries = [entry for reference in references for entry in audit_exercise(load(reference))]
    shown = [entry for entry in entries if entry.problem] if problems else entries
    if as_json:
        print_json(audit_dict(shown))
    else:
        _print(shown, entries, digits)
    if any(entry.verdict == "mismatch" for entry in entries):
        raise typer.Exit(EXIT_DISAGREEMENT)


def _cut(text: str, width: int = _WIDEST) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def _computed(entry, digits: int) -> str:
    from symbackprop.auditing.advice import shown

    if isinstance(entry.computed, float):
        return shown(entry.computed, entry.stated, digits)
    return "—" if entry.computed is None else _cut(str(entry.computed))


def _print(entries, every, digits: int) -> None:
    """One line per stated form; under a problem, where the deck prints it, why, and what to print instead."""
    import textwrap

    from rich.text import Text

    out = console()
    for exercise in dict.fromkeys(entry.exercise for entry in entries):
        rows = [entry for entry in entries if entry.exercise == exercise]
        key_width = max(len(entry.key) for entry in rows)
        # stated and computed share what the terminal has left beside the key, the verdict and
        # the line number; each gets at least 12 characters and at most 40 (the JSON has all)
        room = out.width - (2 + key_width + 2 + 2 + 2 + len("rounded_early") + len("  line 9999"))
        stated_width = min(max(len(entry.stated) for entry in rows), _WIDEST, max(12, room // 2))
        computed_width = min(max(len(_computed(entry, digits)) for entry in rows), max(12, room - stated_width))
        deck = rows[0].source.split(":")[0]  # every entry of an exercise is in one deck
        out.print(Text.assemble((exercise, "bold"), (f"  {deck}" if deck else "", "dim")))
        indent = " " * (4 + key_width)
        for entry in rows:
            line = Text("  ")
            line.append(entry.key.ljust(key_width), style="cyan")
            stated = _cut(entry.stated, stated_width).ljust(stated_width)
            computed = _cut(_computed(entry, digits), computed_width).ljust(computed_width)
            line.append(f"  {stated}  {computed}  ")
            line.append(entry.verdict, style=_STYLES[entry.verdict])
            where = entry.source.partition(":")[2]
            if where and entry.problem:  # the deck is in the heading: its line is enough here
                line.append(f"  line {where}", style="dim")
            out.print(line)
            details = []
            if entry.diagnosis and entry.verdict != "match":
                details.append((entry.diagnosis, ""))
            if entry.suggestion:
                details.append((f"print instead: {entry.suggestion}", "bold"))
            for text, style in details:
                width = max(out.width - len(indent), 20)
                wrapped = textwrap.wrap(text, width, subsequent_indent="  ", break_on_hyphens=False)
                out.print(Text("\n".join(indent + piece for piece in wrapped), style=style))
        out.print()
    counts = {verdict: sum(e.verdict == verdict for e in every) for verdict in _STYLES}
    out.print(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
