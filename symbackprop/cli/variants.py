"""``symbackprop variants``: one reproducible, diagnosable point per student of a roster."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from symbackprop.cli.common import app, check_outputs, print_json, reports_errors, warn, write_atomic


@app.command()
@reports_errors
def variants(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a .toml file with [variants].")],
    roster: Annotated[str, typer.Option("--roster", help="The class roster: a CSV with a 'student' column.")],
    salt: Annotated[str, typer.Option("--salt", help="Any text: another salt gives every student other values.")] = "",
    output: Annotated[
        str | None, typer.Option("-o", "--output", help="Write the CSV to FILE instead of stdout.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print JSON: each student's values, draws taken and refused draws.")
    ] = False,
) -> None:
    """Each student's own values: CSV student,variant,<sampled names>, the same for the same salt and roster."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.catalog import find
    from symbackprop.grading.grader import Grader
    from symbackprop.grading.roster import read_roster
    from symbackprop.grading.variants import (
        Diagnosability,
        load_with_variants,
        student_variants,
        variants_csv,
        variants_report,
    )

    ex, questions, space = load_with_variants(exercise)
    warn(ex.warnings)
    if not space.domains:
        raise SymbackpropError(
            "no [variants] to draw from: a name not listed keeps its [at] value", source=str(find(exercise))
        )
    check_outputs({"--output": output}, [str(find(exercise)), roster])
    students = read_roster(roster)
    if not students:  # a header-only file would read as a variants file that grades nobody
        raise SymbackpropError("no students: the roster has its header and no rows", source=roster)
    draws = student_variants(Diagnosability(Grader(ex, questions)), space, students, salt)
    text = variants_csv(space, draws)
    if output is not None:
        write_atomic(output, text)
    if as_json:
        print_json(variants_report(space, draws, salt))
    elif output is None:
        sys.stdout.write(text)
