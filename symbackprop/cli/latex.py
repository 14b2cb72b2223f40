"""``symbackprop latex``: the worked solution of an exercise as LaTeX, for a handout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from symbackprop.cli.app import app, parse_assignments, reports_errors, same_file, warn, write_atomic
from symbackprop.render.forms import forms_help


@app.command()
@reports_errors
def latex(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a path to a .toml file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE instead of stdout.")] = None,
    standalone: Annotated[bool, typer.Option(help="A whole document that compiles with pdflatex.")] = False,
    figure: Annotated[bool, typer.Option(help="Add the graph as a TikZ picture.")] = False,
    edge_labels: Annotated[bool, typer.Option(help="Label the figure's edges with their local derivatives.")] = False,
    values: Annotated[
        bool,
        typer.Option("--values", help="Draw each node's value and gradient on the figure (as micrograd's draw_dot)."),
    ] = False,
    wrt: Annotated[list[str], typer.Option("--wrt", help="Only the gradient for P (repeatable).")] = [],  # noqa: B006
    form: Annotated[str, typer.Option(help=forms_help())] = "all",
    at: Annotated[list[str], typer.Option("--at", help="NAME=VALUE: evaluate at another point.")] = [],  # noqa: B006
    closed_limit: Annotated[
        int | None,
        typer.Option(
            help="Set a closed form of at most N nodes, else its size (default 40 beside other forms, "
            "300 with --form closed; 0: any size).",
            min=0,
        ),
    ] = None,
    questions: Annotated[
        bool,
        typer.Option(
            "--questions", help="Only the questions (the graph, the point, what is asked), without the solution."
        ),
    ] = False,
) -> None:
    """The worked solution as LaTeX, in labelled sections: chain rule and paths per param, the δs, the closed forms."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.render.forms import selected_forms
    from symbackprop.render.latex_figure import figure_latex

    if edge_labels and not figure:
        raise SymbackpropError("labels the figure's edges: give --figure too", key="--edge-labels")
    if values and not figure:
        raise SymbackpropError("draws on the figure: give --figure too", key="--values")
    if values and questions:
        raise SymbackpropError(
            "would print the gradients the questions ask: leave it out of --questions", key="--values"
        )
    selected_forms(form)  # an unknown form is an error before anything is derived
    if questions and (form != "all" or closed_limit is not None):
        # The sheet has no solution to choose forms of; dropping the option silently would mislead.
        option = "--form" if form != "all" else "--closed-limit"
        raise SymbackpropError("shapes the solution, and --questions leaves the solution out", key=option)
    point = parse_assignments(at, "--at")
    if questions:
        (ex, text), numbers = _questions_sheet(exercise, wrt, point, standalone, figure, edge_labels), None
    else:
        ex, text, numbers = _solution(exercise, wrt, point, form, closed_limit, standalone, figure, edge_labels, values)
    if figure and not standalone:
        text = figure_latex(ex, edge_labels, numbers if values else None) + "\n\n" + text
    if output is None:
        sys.stdout.write(text)
        return
    if ex.path is not None and same_file(output, ex.path):
        raise SymbackpropError(f"{output} is the exercise file: it would be overwritten", key="--output")
    write_atomic(output, text)


def _solution(exercise, wrt, point, form, closed_limit, standalone, figure, edge_labels, values):
    """The exercise, its worked solution as LaTeX (a fragment or a whole document), and the figure's numbers."""
    from symbackprop.engine.derivation import derive_available
    from symbackprop.exercise.model import load
    from symbackprop.render.dot import node_numbers
    from symbackprop.render.latex_document import document
    from symbackprop.render.latex_solution import closed_bounds, derivation_latex

    ex = load(exercise)
    warn(ex.warnings)
    derivation = derive_available(ex, at=point)
    numbers = node_numbers(derivation) if values else None  # an error without one value per node
    # The printer's own bounds unless one is given; 0 sets every closed form whatever its size.
    bound = {} if closed_limit is None else closed_bounds(closed_limit)
    if standalone:
        options = {"figure": figure, "edge_labels": edge_labels, "form": form, "values": values}
        return ex, document(derivation, wrt or None, **options, **bound), numbers
    return ex, derivation_latex(derivation, wrt or None, form, **bound), numbers


def _questions_sheet(exercise, wrt, point, standalone, figure, edge_labels):
    """The exercise and its questions-only sheet, a fragment or a whole document."""
    from symbackprop.grading.questions import load_for_grading
    from symbackprop.render.latex_document import questions_document
    from symbackprop.render.latex_questions import questions_latex

    ex, asked = load_for_grading(exercise)
    warn(ex.warnings)
    if standalone:
        return ex, questions_document(ex, asked, wrt or None, point, figure=figure, edge_labels=edge_labels)
    return ex, questions_latex(ex, asked, wrt or None, point)
