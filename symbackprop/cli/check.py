"""``symbackprop check``: each gradient from the symbolic engine, NumPy and finite differences."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from symbackprop.cli.common import (
    EXIT_DISAGREEMENT,
    app,
    check_digits,
    console,
    error_console,
    exercise_references,
    number,
    parse_assignments,
    print_json,
    reports_errors,
    warn,
)


def _run(references: list[str], show_progress: bool, at: dict[str, str] | None = None) -> list:
    from symbackprop.exercise.model import load
    from symbackprop.numeric.check import check

    def one(reference: str):
        ex = load(reference)
        warn(ex.warnings)
        return check(ex, at)

    if not show_progress:
        return [one(reference) for reference in references]
    from rich.progress import Progress

    results = []
    # On stderr, and gone when done: the table on stdout stays clean.
    with Progress(console=error_console(), transient=True) as progress:
        task = progress.add_task("checking", total=len(references))
        for reference in references:
            results.append(one(reference))
            progress.advance(task)
    return results


def _table(result, digits: int):
    from rich.table import Table
    from rich.text import Text

    verdict = ("ok", "green") if result.ok else ("DISAGREE", "bold red")
    table = Table(title=Text.assemble(f"{result.id}: ", verdict), title_justify="left")
    for heading in ("param", "symbolic", "NumPy", "finite difference", "max rel. error", ""):
        table.add_column(heading, justify="left" if heading == "param" else "right")
    for name, param in result.params.items():
        fd = number(param.finite_difference, digits) + (" (kink: not compared)" if param.kink else "")
        mark = Text("✓", style="green") if param.ok else Text("✗", style="bold red")
        table.add_row(
            name, number(param.symbolic, digits), number(param.numpy, digits), fd, f"{param.max_rel_error:.1e}", mark
        )
    return table


@app.command()
@reports_errors
def check(
    exercises: Annotated[
        list[str] | None,
        typer.Argument(
            help="Catalog ids, .toml files or folders of them (default: two-branch-sigmoid).", show_default=False
        ),
    ] = None,
    every: Annotated[bool, typer.Option("--all", help="Check every exercise of the catalog.")] = False,
    at: Annotated[
        list[str] | None, typer.Option("--at", help="NAME=VALUE: check at this value instead (repeatable).")
    ] = None,
    digits: Annotated[int, typer.Option("--digits", help="Significant figures in the terminal (1–17).")] = 6,
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Each gradient three ways: symbolic, an independent NumPy backprop, finite differences."""
    from symbackprop.exercise.catalog import DEFAULT_EXERCISE

    check_digits(digits)
    point = parse_assignments(at or [], "--at")
    references = exercise_references(exercises, every, default=DEFAULT_EXERCISE)
    results = _run(references, show_progress=len(references) > 1 and sys.stdout.isatty(), at=point)
    if as_json:
        print_json({"exercises": [result.to_dict() for result in results]})
    else:
        out = console()
        for result in results:
            out.print(_table(result, digits))
        failed = [result.id for result in results if not result.ok]
        summary = f"{len(results) - len(failed)} of {len(results)} exercises agree"
        out.print(summary + (f"; disagreements in {', '.join(failed)}" if failed else ""))
    if not all(result.ok for result in results):
        raise typer.Exit(EXIT_DISAGREEMENT)
