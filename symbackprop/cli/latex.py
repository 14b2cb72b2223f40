"""``symbackprop latex``: the worked solution of an exercise as LaTeX, for a handout."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from symbackprop.cli.app import app, parse_assignments, reports_errors, warn, write_atomic


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
    variants_file: Annotated[
        str | None, typer.Option("--variants", help="A `symbackprop variants` CSV: solve at a student's point.")
    ] = None,
    student: Annotated[str | None, typer.Option("--student", help="With --variants: this student's sheet.")] = None,
    out_dir: Annotated[
        Path | None, typer.Option("--out-dir", help="With --variants: one sheet per student, DIR/<student>.tex.")
    ] = None,
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
    ex = load(exercise)
    warn(ex.warnings)
    # The printer's own bound unless one is given; 0 sets every closed form whatever its size.
    bound = {} if closed_limit is None else {"closed_max_nodes": closed_limit or None}

    def sheet(point: dict[str, str]) -> str:
        derivation = derive_available(ex, at=point)
        if standalone:
            return document(derivation, wrt or None, figure=figure, edge_labels=edge_labels, **bound)
        text = derivation_latex(derivation, wrt or None, **bound)
        return figure_latex(ex, edge_labels) + "\n\n" + text if figure else text

    if variants_file is None:
        if student is not None or out_dir is not None:
            message = "picks from a variants file: give --variants FILE too"
            raise SymbackpropError(message, key="--student" if student is not None else "--out-dir")
        text = sheet(parse_assignments(at, "--at"))
    else:
        sheets = _variant_sheets(ex, variants_file, student, out_dir, at=at, output=output)
        for path, variant, point in sheets:
            text = f"% variant {variant}\n" + sheet(point)
            if path is not None:
                write_atomic(path, text)
        if out_dir is not None:
            return
    if output is None:
        sys.stdout.write(text)
    else:
        write_atomic(output, text)


def _variant_sheets(ex, variants_file, student, out_dir, *, at, output) -> list[tuple[Path | None, str, dict]]:
    """Each sheet asked for: its file (None for the one --student sheet, written as latex writes), variant and point."""
    from symbackprop.cli.grade import _same_file
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.variants import exact_text
    from symbackprop.grading.variants import read_variants_file, sheet_name

    if at:
        raise SymbackpropError("the student's variant sets the point: give --at or --variants, not both", key="--at")
    if (student is None) == (out_dir is None):
        raise SymbackpropError("give --student ID (one sheet) or --out-dir DIR (every student's)", key="--variants")
    if out_dir is not None and output is not None:
        raise SymbackpropError("--out-dir names the files itself: give -o or --out-dir, not both", key="--output")
    if out_dir is not None and not out_dir.is_dir():
        raise SymbackpropError("no such directory", source=str(out_dir), key="--out-dir")
    points = read_variants_file(variants_file, ex)
    if student is not None and student not in points:
        raise SymbackpropError(f"no variant for {student!r}", source=variants_file, key="--student")
    inputs = [str(ex.path), variants_file]
    sheets = []
    for name, found in points.items() if student is None else [(student, points[student])]:
        path = out_dir / sheet_name(name) if out_dir is not None else None
        target, option = (path, "--out-dir") if path is not None else (output, "--output")
        if target is not None and any(_same_file(str(target), source) for source in inputs):
            raise SymbackpropError(f"{target} is an input of this command: it would be overwritten", key=option)
        sheets.append((path, found.variant, {key: exact_text(value) for key, value in found.values.items()}))
    return sheets
