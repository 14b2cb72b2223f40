"""``symbackprop latex``: the worked solution of an exercise as LaTeX, for a handout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from symbackprop.cli.app import app, parse_assignments, reports_errors, warn, write_atomic

LATEX_FORMS = ("all", "layer")


@app.command()
@reports_errors
def latex(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a path to a .toml file.")],
    output: Annotated[Path | None, typer.Option("-o", "--output", help="Write to FILE instead of stdout.")] = None,
    standalone: Annotated[bool, typer.Option(help="A whole document that compiles with pdflatex.")] = False,
    figure: Annotated[bool, typer.Option(help="Add the graph as a TikZ picture.")] = False,
    edge_labels: Annotated[bool, typer.Option(help="Label the figure's edges with their local derivatives.")] = False,
    wrt: Annotated[list[str], typer.Option("--wrt", help="Only the gradient for P (repeatable).")] = [],  # noqa: B006
    at: Annotated[list[str], typer.Option("--at", help="NAME=VALUE: evaluate at another point.")] = [],  # noqa: B006
    closed_limit: Annotated[
        int | None,
        typer.Option(help="Set a closed form of at most N nodes, else its size (default 300; 0: any size).", min=0),
    ] = None,
    form: Annotated[
        str, typer.Option(help="all (the worked solution) or layer (the general layer rules of a [layers] net).")
    ] = "all",
) -> None:
    """The worked solution as LaTeX: per param an align* block (chain rule, paths, δ, closed form, value)."""
    from symbackprop.engine.derivation import derive_available
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.model import load
    from symbackprop.render.latex_document import document
    from symbackprop.render.latex_figure import figure_latex
    from symbackprop.render.latex_solution import derivation_latex

    if edge_labels and not figure:
        raise SymbackpropError("labels the figure's edges: give --figure too", key="--edge-labels")
    if form not in LATEX_FORMS:
        raise SymbackpropError(f"unknown form {form!r} (one of {', '.join(LATEX_FORMS)})", key="--form")
    ex = load(exercise)
    warn(ex.warnings)
    derivation = derive_available(ex, at=parse_assignments(at, "--at"))
    # The printer's own bound unless one is given; 0 sets every closed form whatever its size.
    bound = {} if closed_limit is None else {"closed_max_nodes": closed_limit or None}
    if form == "layer":
        _check_layer_options(figure, wrt, closed_limit)
        text = _layer_text(ex, derivation, standalone)
    elif standalone:
        text = document(derivation, wrt or None, figure=figure, edge_labels=edge_labels, **bound)
    else:
        text = derivation_latex(derivation, wrt or None, **bound)
        if figure:
            text = figure_latex(ex, edge_labels) + "\n\n" + text
    if ex.vectors and form == "all":
        text = _with_vectors(text, derivation, standalone)
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


def _check_layer_options(figure: bool, wrt: list[str], closed_limit: int | None) -> None:
    """--form layer writes the general rules: options about one param's gradient do not apply."""
    from symbackprop.errors import SymbackpropError

    for given, option in ((figure, "--figure"), (wrt, "--wrt"), (closed_limit is not None, "--closed-limit")):
        if given:
            raise SymbackpropError("--form layer writes the general rules, not one param's gradient", key=option)


def _layer_text(ex, derivation, standalone: bool) -> str:
    """The layer rules' derivation as LaTeX, a whole document with ``standalone``."""
    from symbackprop.engine.derivation import Derivation
    from symbackprop.engine.layer_rules import PointValues, derive_rules, instances
    from symbackprop.render.layer_latex import layer_document, layer_latex

    rules = derive_rules(ex)
    values = PointValues(ex, rules, derivation) if isinstance(derivation, Derivation) else None
    found = instances(ex, rules, derivation, values) if values is not None else None
    text = layer_latex(rules, found, values)
    return layer_document(ex, text) if standalone else text


def _with_vectors(text: str, derivation, standalone: bool) -> str:
    """The solution with ∂L/∂w of each [vectors] param vector after it (in lecture 002's bold-vector notation)."""
    from symbackprop.engine.vectors import vector_gradients
    from symbackprop.render.vectors import vector_latex

    blocks = vector_latex(vector_gradients(derivation), derivation.exercise.loss)
    if not blocks:
        return text
    if standalone:
        return text.replace("\\end{document}", blocks + "\n\\end{document}")
    return text.rstrip("\n") + "\n\n" + blocks + "\n"
