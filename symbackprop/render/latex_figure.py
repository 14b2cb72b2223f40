"""The graph as a TikZ picture, laid out in columns as the DOT graph is."""

from __future__ import annotations

from collections.abc import Mapping

from symbackprop.engine.local import local_derivatives
from symbackprop.exercise.model import Exercise
from symbackprop.render.dot import columns
from symbackprop.render.latex import latex_name, printer


def tikz_figure(
    exercise: Exercise,
    edge_labels: bool = False,
    values: Mapping[str, tuple[float, float]] | None = None,
    **settings,
) -> str:
    r"""The graph as a TikZ picture, left to right by layers; ``edge_labels`` adds the local derivatives.

    Params are shaded, the loss has a double border. With ``values`` (name → value and ∂L/∂name,
    from :func:`symbackprop.render.dot.node_numbers`) each node shows them below its name, as
    micrograd's draw_dot does. Needs only ``\usepackage{tikz}``.

    >>> from symbackprop.exercise.model import from_equations
    >>> print(tikz_figure(from_equations({"t": "x + y", "z": "t**2"}, params=["x"]), edge_labels=True))
    \begin{tikzpicture}[x=2.4cm, y=1.3cm, var/.style={circle, draw, minimum size=8mm, inner sep=1pt},
      param/.style={var, fill=black!12}, loss/.style={var, double}, edge/.style={->, semithick},
      label/.style={midway, above, sloped, font=\scriptsize}]
    \node[param] (n0) at (0, 0.5) {$x$};
    \node[var] (n1) at (0, -0.5) {$y$};
    \node[var] (n2) at (1, 0) {$t$};
    \node[loss] (n3) at (2, 0) {$z$};
    \draw[edge] (n0) -- node[label] {$1$} (n2);
    \draw[edge] (n1) -- node[label] {$1$} (n2);
    \draw[edge] (n2) -- node[label] {$2 t$} (n3);
    \end{tikzpicture}
    """
    # A cases block does not fit on an edge: the compact [x > 0] there.
    tex = printer(**{"heaviside": "iverson", **settings})
    number = printer(digits=4).number  # four figures on a node, as the DOT graph's short_number
    local = local_derivatives(exercise) if edge_labels else {}
    ids = {name: f"n{index}" for index, name in enumerate(exercise.graph.names)}
    lines = [
        r"\begin{tikzpicture}[x=2.4cm, y=1.3cm, var/.style={circle, draw, minimum size=8mm, inner sep=1pt},",
        r"  param/.style={var, fill=black!12}, loss/.style={var, double}, edge/.style={->, semithick},",
        r"  label/.style={midway, above, sloped, font=\scriptsize}]",
    ]
    if values is not None:  # three lines a node: a rounded box, the columns and rows further apart
        boxed = "rectangle, rounded corners, draw, align=center, inner sep=2pt"
        lines[0] = lines[0].replace("x=2.4cm, y=1.3cm", "x=3.2cm, y=1.8cm")
        lines[0] = lines[0].replace("circle, draw, minimum size=8mm, inner sep=1pt", boxed)
    placed = []
    layout = columns(exercise)
    column_of = {name: x for x, column in enumerate(layout) for name in column}
    height: dict[str, float] = {}
    for x, column in enumerate(layout):
        for row, name in enumerate(column):
            style = "param" if name in exercise.params else "loss" if name == exercise.loss else "var"
            y = (len(column) - 1) / 2 - row  # each column centred on the loss's row
            height[name] = y
            text = f"${latex_name(name)}$"
            if values is not None:
                value, grad = values[name]
                text += rf"\\{{\scriptsize value ${number(value)}$}}\\{{\scriptsize grad ${number(grad)}$}}"
            placed.append((name, rf"\node[{style}] ({ids[name]}) at ({x}, {y:g}) {{{text}}};"))
    lines += [line for _, line in sorted(placed, key=lambda item: list(ids).index(item[0]))]
    for name in exercise.graph.nodes:
        for parent in exercise.graph.parents[name]:
            label = f" node[label] {{${tex.doprint(local[name, parent])}$}}" if edge_labels else ""
            # An edge that skips columns bows outwards, around the nodes between, which sit near the middle.
            span = column_of[name] - column_of[parent]
            side = "left" if height[name] + height[parent] >= 0 else "right"  # left of a rightward edge is up
            path = f"to[bend {side}={min(15 + 5 * (span - 2), 35)}]" if span > 1 else "--"
            lines.append(rf"\draw[edge] ({ids[parent]}) {path}{label} ({ids[name]});")
    lines.append(r"\end{tikzpicture}")
    return "\n".join(lines)


def figure_latex(
    exercise: Exercise, edge_labels: bool = False, values: Mapping[str, tuple[float, float]] | None = None, **settings
) -> str:
    r"""The TikZ picture centred, scaled down to fit the line's width and most of the page's height.

    A small picture is left as drawn. Needs only ``\usepackage{tikz}``, which loads graphicx for
    ``\resizebox``; with ``values`` a line under the picture says what the numbers are.
    """
    picture = tikz_figure(exercise, edge_labels, values, **settings)
    # Two boxes, each keeping the aspect ratio: the inner bounds the height, the outer the width.
    fitted = (
        "\\resizebox{\\ifdim\\width>\\linewidth\\linewidth\\else\\width\\fi}{!}{%\n"
        "\\resizebox{!}{\\ifdim\\height>0.7\\textheight0.7\\textheight\\else\\height\\fi}{%\n" + picture + "}}"
    )
    note = ""
    if values is not None:
        loss = latex_name(exercise.loss)
        note = rf"\\[1ex]{{\small Each node: its value and grad, $\partial {loss}/\partial$ the node, at the point.}}"
    return "\\begin{center}\n" + fitted + note + "\n\\end{center}"
