"""A whole LaTeX document that pdflatex compiles, and plain text escaped for it."""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping

from sympy.printing.latex import greek_letters_set

from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.exercise.model import Exercise
from symbackprop.render.dot import node_numbers
from symbackprop.render.latex_figure import figure_latex
from symbackprop.render.latex_questions import Asked, questions_latex
from symbackprop.render.latex_solution import derivation_latex

# Text (titles, sources) goes into LaTeX outside math: its special characters escaped, the
# lectures' symbols mapped to what pdflatex can set without extra packages.
_TEXT_SPECIALS = {
    "\\": r"\textbackslash{}",
    "{": r"\{",
    "}": r"\}",
    "#": r"\#",
    "$": r"\$",
    "%": r"\%",
    "&": r"\&",
    "_": r"\_",
    "^": r"\^{}",
    "~": r"\~{}",
    "<": r"\textless{}",
    ">": r"\textgreater{}",
    "—": "---",
    "–": "--",
    "−": "$-$",
    "·": r"$\cdot$",
    "→": r"$\rightarrow$",
    "∂": r"$\partial$",
    "≥": r"$\geq$",
    "≤": r"$\leq$",
    "×": r"$\times$",
}


_ACCENTED = set("àáâãäåçèéêëìíîïñòóôõöùúûüýÿÀÁÂÃÄÅÇÈÉÊËÌÍÎÏÑÒÓÔÕÖÙÚÛÜÝßæÆøØœŒ")


def latex_text(text: str) -> str:
    r"""Plain text for a LaTeX document: specials escaped, σ and π as math, x² as a superscript.

    A character pdflatex cannot set (Korean, say) becomes ``?``.

    >>> latex_text("y = 1/(x + t), x = v² + w, v = eʷ — 100% σ")
    'y = 1/(x + t), x = v\\textsuperscript{2} + w, v = e\\textsuperscript{w} --- 100\\% $\\sigma$'
    """

    out = []
    for char in text:
        if char in _TEXT_SPECIALS:
            out.append(_TEXT_SPECIALS[char])
        elif char.isascii():
            out.append(char)
        elif (decomposition := unicodedata.decomposition(char)).startswith(("<super>", "<sub>")):
            command = "textsuperscript" if decomposition.startswith("<super>") else "textsubscript"
            out.append(rf"\{command}{{{latex_text(unicodedata.normalize('NFKC', char))}}}")
        elif unicodedata.name(char, "").startswith("GREEK SMALL LETTER "):
            letter = unicodedata.name(char).removeprefix("GREEK SMALL LETTER ").lower()
            out.append(rf"$\{letter}$" if letter in greek_letters_set else "?")
        elif char in _ACCENTED:
            out.append(char)  # pdflatex reads UTF-8 and sets these with the default fonts
        else:
            out.append("?")
    return "".join(out)


def document(
    derivation: SymbolicDerivation,
    wrt: Iterable[str] | None = None,
    figure: bool = False,
    edge_labels: bool = False,
    form: str = "all",
    values: bool = False,
    **settings: object,
) -> str:
    r"""A complete document that ``pdflatex`` compiles: title, source, the figure, the ``form`` asked for.

    ``values`` draws each node's value and gradient on the figure.
    """
    body = derivation_latex(derivation, wrt, form, **settings)
    numbers = node_numbers(derivation) if values else None
    return wrapped(derivation.exercise, body, figure, edge_labels, numbers, settings)


def questions_document(
    exercise: Exercise,
    questions: Mapping[str, Asked],
    wrt: Iterable[str] | None = None,
    at: Mapping[str, object] | None = None,
    figure: bool = False,
    edge_labels: bool = False,
    **settings: object,
) -> str:
    r"""The questions-only sheet (:func:`~symbackprop.render.latex_questions.questions_latex`) as a whole document."""
    body = questions_latex(exercise, questions, wrt, at, **settings)
    return wrapped(exercise, body, figure, edge_labels, None, settings)


def wrapped(
    exercise: Exercise,
    body_text: str,
    figure: bool = False,
    edge_labels: bool = False,
    values: Mapping[str, tuple[float, float]] | None = None,
    settings: Mapping[str, object] | None = None,
    packages: tuple[str, ...] = ("amsmath",),
) -> str:
    r"""``body_text`` in a document: ``packages`` (amsmath), the title, the source, and the figure when asked for.

    ``settings`` are the printer's, for the figure.

    >>> from symbackprop.exercise.model import from_toml
    >>> exercise = from_toml({"graph": {"y": "2*x"}, "at": {"x": 1}}, source="f", default_id="double")
    >>> print(wrapped(exercise, "$y = 2x$", packages=("amsmath", "amssymb")))
    \documentclass{article}
    \usepackage{amsmath,amssymb}
    \allowdisplaybreaks
    \begin{document}
    \section*{\raggedright double}
    <BLANKLINE>
    $y = 2x$
    \end{document}
    <BLANKLINE>
    """
    used = [rf"\usepackage{{{','.join(packages)}}}"]
    # Ragged right: a long title then wraps at a word instead of running past the margin.
    body = [rf"\section*{{\raggedright {latex_text(exercise.title or exercise.id)}}}"]
    if exercise.source:
        body.append(rf"\noindent Source: {latex_text(exercise.source)}")
    if figure:
        used += [r"\usepackage{tikz}"]
        body.append(figure_latex(exercise, edge_labels, values, **(settings or {})))
    body.append(body_text.rstrip("\n"))
    return "\n".join(
        [
            r"\documentclass{article}",
            *used,
            r"\allowdisplaybreaks",
            r"\begin{document}",
            "\n\n".join(body),
            r"\end{document}",
            "",
        ]
    )
