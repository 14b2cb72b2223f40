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
) -> None:
    """The worked solution as LaTeX, in labelled sections: chain rule and paths per param, the δs, the closed forms."""
    from symbackprop.engine.derivation import derive_available
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.model import load
    from symbackprop.render.forms import selected_forms
    from symbackprop.render.latex_document import document
    from symbackprop.render.latex_figure import figure_latex
    from symbackprop.render.latex_solution import closed_bounds, derivation_latex

    if edge_labels and not figure:
        raise SymbackpropError("labels the figure's edges: give --figure too", key="--edge-labels")
    selected_forms(form)  # an unknown form is an error before anything is derived
    ex = load(exercise)
    warn(ex.warnings)
    if output is not None and ex.path is not None and same_file(output, ex.path):
        raise SymbackpropError(f"{output} is the exercise file: it would be overwritten", key="--output")
    derivation = derive_available(ex, at=parse_assignments(at, "--at"))
    # The printer's own bounds unless one is given; 0 sets every closed form whatever its size.
    bound = {} if closed_limit is None else closed_bounds(closed_limit)
    if standalone:
        text = document(derivation, wrt or None, figure=figure, edge_labels=edge_labels, form=form, **bound)
    else:
        text = derivation_latex(derivation, wrt or None, form, **bound)
        if figure:
            text = figure_latex(ex, edge_labels) + "\n\n" + text
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)
