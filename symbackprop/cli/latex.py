"""``symbackprop latex``: the worked solution of an exercise as LaTeX, for a handout."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import typer

from symbackprop.cli.common import app, check_outputs, parse_assignments, reports_errors, warn, write_atomic
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
    form: Annotated[
        str, typer.Option(help=forms_help().removesuffix(".") + "; layer: lecture 001's general derivation.")
    ] = "all",
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
    variants_file: Annotated[
        str | None, typer.Option("--variants", help="A `symbackprop variants` CSV: solve at a student's point.")
    ] = None,
    student: Annotated[str | None, typer.Option("--student", help="With --variants: this student's sheet.")] = None,
    out_dir: Annotated[
        Path | None,
        typer.Option(
            "--out-dir",
            help="With --variants: per student DIR/<student>.tex and its questions-only sheet "
            "DIR/<student>.questions.tex.",
        ),
    ] = None,
) -> None:
    """The worked solution as LaTeX, in labelled sections: chain rule and paths per param, the δs, the closed forms."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.render.forms import selected_forms

    if form == "layer":
        # Every option but the exercise, --at, --standalone and -o shapes a solution the layer derivation is not.
        given = {"--figure": figure, "--edge-labels": edge_labels, "--values": values, "--wrt": wrt}
        given |= {"--closed-limit": closed_limit is not None, "--questions": questions}
        given |= {"--variants": variants_file is not None, "--student": student is not None}
        given |= {"--out-dir": out_dir is not None}
        _layer_command(exercise, at, standalone, output, [option for option, on in given.items() if on])
        return
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
    if variants_file is None and (student is not None or out_dir is not None):
        message = "picks from a variants file: give --variants FILE too"
        raise SymbackpropError(message, key="--student" if student is not None else "--out-dir")
    ex, asked = _load(exercise, questions_needed=questions or out_dir is not None)
    inputs = [source for source in (ex.path, variants_file) if source is not None]
    check_outputs({"--output": None if output is None else str(output)}, inputs)
    sheet = _Sheet(ex, asked, tuple(wrt), form, closed_limit, standalone, figure, edge_labels, values)
    if variants_file is None:
        text = sheet.render(parse_assignments(at, "--at"), questions)
    else:
        files: dict[Path, tuple[str, str, dict[str, str], bool]] = {}
        taken: set[str] = set()  # the files' names case-folded
        for path, name, variant, point in _variant_sheets(ex, variants_file, student, out_dir, at=at, output=output):
            if path is None:  # the one --student sheet, written below as any sheet
                text = _owned(sheet.render(point, questions), name, variant, standalone)
                continue
            # The worked solution, and beside it the sheet the student gets (only that one with --questions).
            kinds = {path: questions} if questions else {path: False, path.with_suffix(".questions.tex"): True}
            for file, questions_only in kinds.items():
                _check_sheet_file(file, taken, inputs)
                files[file] = (name, variant, point, questions_only)
        for file, (name, variant, point, questions_only) in files.items():
            write_atomic(file, _owned(sheet.render(point, questions_only), name, variant, standalone))
        if out_dir is not None:
            return
    _write(text, output)


def _owned(text: str, student: str, variant: str, standalone: bool) -> str:
    r"""A student's sheet with whose it is printed on it: the student's id and the variant's.

    >>> print(_owned("body", "ben_2", "3f2a", False))
    % variant 3f2a
    \noindent Student: \texttt{ben\_2}\hfill Variant: \texttt{3f2a}\par
    <BLANKLINE>
    body
    """
    from symbackprop.render.latex_document import latex_text

    # The comment keeps the variant findable by a script; the line is what the student and the grader see.
    line = rf"\noindent Student: \texttt{{{latex_text(student)}}}\hfill Variant: \texttt{{{latex_text(variant)}}}\par"
    start = "\\begin{document}\n"
    # A whole document gets the line as its first, right after \begin{document}; a fragment starts with it.
    owned = text.replace(start, f"{start}{line}\n\n", 1) if standalone and start in text else f"{line}\n\n{text}"
    return f"% variant {variant}\n{owned}"


def _check_sheet_file(file: Path, taken: set[str], inputs: list[str]) -> None:
    """Refuse a sheet's file that another sheet already takes or that would lose an input, before any is written."""
    from symbackprop.errors import SymbackpropError

    # Case-folded: on macOS and Windows "Ana.tex" and "ana.tex" are one file, and "a" meets "a.questions".
    folded = str(file).casefold()
    if folded in taken:
        raise SymbackpropError(f"{file} would hold two students' sheets", key="--out-dir")
    taken.add(folded)
    check_outputs({"--out-dir": str(file)}, inputs)


def _write(text: str, output: Path | None) -> None:
    """``text`` to stdout, or to ``output`` (checked by check_outputs before the work)."""
    if output is None:
        sys.stdout.write(text)
        return
    write_atomic(output, text)


def _layer_command(exercise: str, at: list[str], standalone: bool, output: Path | None, refused: list[str]) -> None:
    """``--form layer``: the general rules' derivation, as a fragment or (``standalone``) a document."""
    from symbackprop.engine.derivation import Derivation, derive_available
    from symbackprop.engine.layer_rules import PointValues, derive_rules, instances
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.model import load
    from symbackprop.render.layer_latex import layer_document, layer_latex

    if refused:
        raise SymbackpropError("--form layer writes the general rules, not one param's gradient", key=refused[0])
    ex = load(exercise)
    warn(ex.warnings)
    check_outputs({"--output": None if output is None else str(output)}, [ex.path] if ex.path else [])
    derivation = derive_available(ex, at=parse_assignments(at, "--at"))
    rules = derive_rules(ex)
    values = PointValues(ex, rules, derivation) if isinstance(derivation, Derivation) else None
    found = instances(ex, rules, derivation, values) if values is not None else None
    text = layer_latex(rules, found, values)
    _write(layer_document(ex, text) if standalone else text, output)


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


def _load(exercise: str, questions_needed: bool):
    """The exercise, and its questions where a questions-only sheet is asked for (else None)."""
    from symbackprop.exercise.model import load
    from symbackprop.grading.questions import load_for_grading

    ex, asked = load_for_grading(exercise) if questions_needed else (load(exercise), None)
    warn(ex.warnings)
    return ex, asked


@dataclass(frozen=True)
class _Sheet:
    """What one latex run writes, the same for every point it is written at."""

    exercise: Any
    asked: Any
    wrt: tuple[str, ...]
    form: str
    closed_limit: int | None
    standalone: bool
    figure: bool
    edge_labels: bool
    values: bool

    def render(self, point: dict[str, str], questions: bool) -> str:
        """The worked solution at ``point``, or with ``questions`` the questions-only sheet."""
        from symbackprop.render.latex_figure import figure_latex

        text, numbers = self._questions(point) if questions else self._solution(point)
        if self.figure and not self.standalone:
            text = figure_latex(self.exercise, self.edge_labels, numbers if self.values else None) + "\n\n" + text
        return text

    def _solution(self, point):
        """The worked solution as LaTeX (a fragment or a whole document), and the figure's numbers."""
        from symbackprop.engine.derivation import derive_available
        from symbackprop.render.dot import node_numbers
        from symbackprop.render.latex_document import document
        from symbackprop.render.latex_solution import closed_bounds, derivation_latex

        derivation = derive_available(self.exercise, at=point)
        numbers = node_numbers(derivation) if self.values else None  # an error without one value per node
        # The printer's own bounds unless one is given; 0 sets every closed form whatever its size.
        bound = {} if self.closed_limit is None else closed_bounds(self.closed_limit)
        wrt = self.wrt or None
        if self.standalone:
            options = {"figure": self.figure, "edge_labels": self.edge_labels, "form": self.form, "values": self.values}
            text = document(derivation, wrt, **options, **bound)
        else:
            text = derivation_latex(derivation, wrt, self.form, **bound)
        if self.exercise.vectors and self.form == "all":
            text = _with_vectors(text, derivation, self.standalone)
        return text, numbers

    def _questions(self, point):
        """The questions-only sheet, a fragment or a whole document (no figure numbers: it shows no values)."""
        from symbackprop.render.latex_document import questions_document
        from symbackprop.render.latex_questions import questions_latex

        wrt = self.wrt or None
        if self.standalone:
            sheet = questions_document(
                self.exercise, self.asked, wrt, point, figure=self.figure, edge_labels=self.edge_labels
            )
            return sheet, None
        return questions_latex(self.exercise, self.asked, wrt, point), None


def _variant_sheets(ex, variants_file, student, out_dir, *, at, output) -> list[tuple[Path | None, str, str, dict]]:
    """Each sheet asked for: its file (None for the --student sheet, which latex writes), student, variant, point."""
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
    sheets = []
    for name, found in points.items() if student is None else [(student, points[student])]:
        path = out_dir / sheet_name(name) if out_dir is not None else None
        sheets.append((path, name, found.variant, {key: exact_text(value) for key, value in found.values.items()}))
    return sheets
