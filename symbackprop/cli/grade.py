"""``symbackprop grade``: a class's answers graded, with a table per student and a class summary."""

from __future__ import annotations

import functools
import os
import sys
from typing import Annotated

import typer

from symbackprop.cli.common import app, check_outputs, console, error_console, reports_errors, warn, write_atomic
from symbackprop.grading.workers import TIMEOUT

_STYLE = {
    "correct": "green",
    "correct_rounding": "green",
    "carried_forward": "cyan",
    "wrong": "red",
    "unparsable": "magenta",
    "timeout": "yellow",
    "missing": "dim",
}


# Past this many students the per-student tables (25 s for 20 000 answers, most of a large class's
# time and memory) are left out: the reports hold every answer.
TABLES_UP_TO = 200
MAX_TIMEOUT = 86_400.0  # a day, far beyond any answer; the OS refuses to wait much longer (about 25 days)


@app.command()
@reports_errors
def grade(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a .toml file (with [questions], or every dL/dP).")],
    answers: Annotated[str, typer.Argument(help="Answers: CSV student,question,answer or student,<q>,…; or JSON.")],
    json_file: Annotated[str | None, typer.Option("--json", help="Write the report as JSON (SPEC §3) to FILE.")] = None,
    csv_file: Annotated[str | None, typer.Option("--csv", help="Write one row per answer as CSV to FILE.")] = None,
    jobs: Annotated[int, typer.Option("--jobs", help="Worker processes (0: grade in this process).")] = (
        os.cpu_count() or 1
    ),
    timeout: Annotated[
        float | None, typer.Option("--timeout", help=f"Seconds allowed per answer (default {TIMEOUT:g}).")
    ] = None,
    roster_file: Annotated[
        str | None,
        typer.Option(
            "--roster", help="Class roster CSV (student,name,id,…): every student who answered must be on it."
        ),
    ] = None,
    canvas: Annotated[
        str | None, typer.Option("--canvas", help="Write Canvas's gradebook import CSV (needs --roster).")
    ] = None,
    moodle: Annotated[
        str | None, typer.Option("--moodle", help="Write Moodle's grade import CSV with feedback.")
    ] = None,
    gradescope: Annotated[
        str | None, typer.Option("--gradescope", help="Write Gradescope's results.json (one student's answers).")
    ] = None,
    summary_only: Annotated[
        bool,
        typer.Option(
            "--summary",
            help=f"Print only the class summary (so past {TABLES_UP_TO} students; --json/--csv have every answer).",
        ),
    ] = False,
    variants_file: Annotated[
        str | None,
        typer.Option("--variants", help="Grade each student at their own point, from `symbackprop variants`' CSV."),
    ] = None,
) -> None:
    """Grade a class's answers: a verdict, points and feedback per answer, a summary per question."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.grading.answers import read_answers
    from symbackprop.grading.classroom import grade_class
    from symbackprop.grading.grader import Grader
    from symbackprop.grading.questions import load_for_grading
    from symbackprop.grading.reports import csv_text, json_text

    if jobs < 0:
        raise SymbackpropError(f"expected 0 or more, not {jobs}", key="--jobs")
    if timeout is not None and jobs == 0:
        raise SymbackpropError("--jobs 0 grades in this process, where no timeout can stop an answer", key="--timeout")
    timeout = TIMEOUT if timeout is None else timeout
    if not 0 < timeout <= MAX_TIMEOUT:
        raise SymbackpropError(f"expected seconds from 0 to {MAX_TIMEOUT:g}, not {timeout:g}", key="--timeout")
    from symbackprop.exercise.catalog import find

    try:
        exercise_file = str(find(exercise))
    except SymbackpropError:
        exercise_file = exercise  # load_for_grading says what is wrong with it
    outputs = {
        "--json": json_file,
        "--csv": csv_file,
        "--canvas": canvas,
        "--moodle": moodle,
        "--gradescope": gradescope,
    }
    inputs = [answers, exercise_file, *(path for path in (roster_file, variants_file) if path)]
    check_outputs(outputs, inputs)
    ex, questions = load_for_grading(exercise)
    warn(ex.warnings)
    rows = read_answers(answers)
    roster = _roster_for_exports(roster_file, rows, answers, canvas=canvas, moodle=moodle, gradescope=gradescope)
    grader = Grader(ex, questions)
    grader.symbolic_points  # noqa: B018 — computed once here, inherited by every worker
    points = None
    if variants_file is not None:
        from symbackprop.grading.variants import read_variants_file  # the variants' sampler: only with --variants

        points = read_variants_file(variants_file, ex)  # grade_class refuses a student with answers and none
    report = _run(grader, rows, jobs, timeout, functools.partial(grade_class, variants=points))
    if json_file is not None:
        write_atomic(json_file, json_text(report))
    if csv_file is not None:
        write_atomic(csv_file, csv_text(report))
    _write_exports(report, roster, ex.title or ex.id, canvas=canvas, moodle=moodle, gradescope=gradescope)
    students = report.students()
    if not summary_only and len(students) > TABLES_UP_TO:
        error_console().print(
            f"{len(students)} students: only the class summary is printed (a table each up to {TABLES_UP_TO}); "
            "--json and --csv have every answer"
        )
    _print(report, tables=not summary_only and len(students) <= TABLES_UP_TO)


def _roster_for_exports(roster_file, rows, answers: str, *, canvas, moodle, gradescope) -> list:
    """The roster (empty without --roster), checked against the answers and the exports before grading."""
    from symbackprop.grading import exports
    from symbackprop.grading.roster import named_few, read_roster

    roster = read_roster(roster_file) if roster_file is not None else None
    students = list(dict.fromkeys(row.student for row in rows))
    absent = exports.refuse_unfit(
        students,
        roster,
        canvas=canvas is not None,
        gradescope=gradescope is not None,
        source=answers,
        roster_source=roster_file or "",
    )
    if absent:
        named = named_few(absent)
        given = ": the exports give them no grade" if canvas or moodle else ""
        warn([f"no answers from {named} on {roster_file}{given}"])
    return roster or []


def _write_exports(report, roster, title: str, *, canvas: str | None, moodle: str | None, gradescope: str | None):
    from symbackprop.grading import exports

    if canvas is not None:
        write_atomic(canvas, exports.canvas_text(report, roster, title))
    if moodle is not None:
        write_atomic(moodle, exports.moodle_text(report, roster, title))
    if gradescope is not None:
        write_atomic(gradescope, exports.gradescope_text(report))


def _run(grader, rows, jobs, timeout, grade_class):
    """Grade, with a progress bar on a terminal only (nothing when piped)."""
    if not sys.stderr.isatty():
        return grade_class(grader, rows, jobs=jobs, timeout=timeout)
    from rich.progress import Progress

    # No refresh thread: workers are forked while it runs.
    with Progress(console=error_console(), auto_refresh=False, transient=True) as bar:
        task = bar.add_task("grading", total=None)

        def advance(done: int, total: int) -> None:
            bar.update(task, completed=done, total=total)
            bar.refresh()

        return grade_class(grader, rows, jobs=jobs, timeout=timeout, progress=advance)


def _print(report, *, tables: bool = True) -> None:
    from rich.table import Table
    from rich.text import Text

    from symbackprop.grading.reports import report_dict
    from symbackprop.grading.reports import summary as class_summary
    from symbackprop.grading.verdict import echo

    out = console()
    students = report_dict(report)["students"] if tables else {}
    for student, result in students.items():
        table = Table(title=f"{student or '(no name)'}: {result['total']:g} / {result['max']:g}", title_justify="left")
        for heading in ("question", "answer", "verdict", "points", "feedback"):
            table.add_column(heading, overflow="fold")
        for key, entry in result["answers"].items():
            verdict = entry["verdict"]
            style = _STYLE.get(verdict, "")
            table.add_row(
                key,
                echo(entry["answer"])[:60],
                Text(verdict, style=style),
                f"{entry['points']:g}/{entry['max']:g}",
                entry["feedback"],
            )
        out.print(table)
    summary = Table(title=f"{report.exercise}: class summary", title_justify="left")
    for heading in ("question", "right", "answered", "missing", "most common mistake"):
        summary.add_column(heading)
    for qid, row in class_summary(report).items():
        mistake = f"{row['most_common_mistake']} ({row['most_common_count']})" if row["most_common_mistake"] else "—"
        summary.add_row(qid, str(row["right"]), str(row["answers"]), str(row["missing"]), mistake)
    out.print(summary)
