"""``symbackprop audit``: every value a lecture states, against the recomputed one."""

from __future__ import annotations

from typing import Annotated

import typer

from symbackprop.cli.app import EXIT_DISAGREEMENT, app, console, exercise_references, print_json, reports_errors

_STYLES = {"match": "green", "rounded_early": "yellow", "mismatch": "bold red", "not_checkable": "dim"}


@app.command()
@reports_errors
def audit(
    exercise: Annotated[str | None, typer.Argument(help="A catalog id or a .toml file.")] = None,
    all_: Annotated[bool, typer.Option("--all", help="Audit every exercise of the catalog.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the entries as JSON (SPEC §3).")] = False,
) -> None:
    """Each [stated] number and formula with a verdict: match, rounded_early, mismatch, not_checkable."""
    from symbackprop.auditing.checker import audit as audit_exercise
    from symbackprop.auditing.report import audit_dict
    from symbackprop.exercise.model import load

    references = exercise_references(exercise, all_)
    entries = [entry for reference in references for entry in audit_exercise(load(reference))]
    if as_json:
        print_json(audit_dict(entries))
    else:
        _print(entries)
    if any(entry.verdict == "mismatch" for entry in entries):
        raise typer.Exit(EXIT_DISAGREEMENT)


def _number(value) -> str:
    if isinstance(value, float):
        return f"{value:.6g}"
    return "—" if value is None else str(value)


def _print(entries) -> None:
    from rich.table import Table
    from rich.text import Text

    out = console()
    for exercise in dict.fromkeys(entry.exercise for entry in entries):
        table = Table(title=exercise, title_justify="left", show_lines=False)
        table.add_column("key", style="bold cyan", no_wrap=True)
        table.add_column("stated")
        table.add_column("computed")
        table.add_column("verdict", no_wrap=True)
        table.add_column("diagnosis")
        for entry in entries:
            if entry.exercise != exercise:
                continue
            note = entry.diagnosis
            if entry.verdict == "rounded_early" and entry.intermediates:
                note = "uses the lecture's rounded " + ", ".join(entry.intermediates)
            style = _STYLES[entry.verdict]
            table.add_row(entry.key, entry.stated, _number(entry.computed), Text(entry.verdict, style=style), note)
        out.print(table)
    counts = {verdict: sum(e.verdict == verdict for e in entries) for verdict in _STYLES}
    out.print(", ".join(f"{n} {verdict}" for verdict, n in counts.items()))
