"""The graph of an exercise as a picture: columns by layers, and Graphviz DOT.

Both the TikZ figure of :mod:`symbackprop.render.latex_figure` and the DOT text lay the graph out the same
way: each node one column right of its deepest parent, each input or param just left of the
first node that uses it, the loss alone in the last column, as the lectures draw a network.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from symbackprop.engine.derivation import Derivation
from symbackprop.engine.local import local_derivatives
from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.render.plain import pretty_name, unicode


def columns(exercise: Exercise) -> list[list[str]]:
    """The names column by column, left to right, by layers: each node one column right of its
    deepest parent, each input or param just left of the first node that uses it, the loss last.

    >>> from symbackprop.exercise.model import from_equations
    >>> columns(from_equations({"q": "x + y", "f": "q*z"}))
    [['x', 'y'], ['q', 'z'], ['f']]
    """
    graph = exercise.graph
    depth = dict.fromkeys(graph.leaves, 0)
    for node in graph.nodes:  # definition order: every parent is placed before its node
        depth[node] = 1 + max((depth[parent] for parent in graph.parents[node]), default=-1)
    # The loss ends the drawing, alone, even when a shorter branch reaches it.
    others = [level for name, level in depth.items() if name != exercise.loss]
    depth[exercise.loss] = max(depth[exercise.loss], max(others, default=-1) + 1)
    # A weight sits beside the layer it feeds (lecture 001's W² between x¹ and net²), not with
    # the inputs: its edge is then short, and the first column is not every leaf of the net.
    for leaf in graph.leaves:
        depth[leaf] = min((depth[child] for child in graph.children(leaf)), default=1) - 1
    found: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for name in graph.names:
        found[depth[name]].append(name)
    return _by_neighbours([column for column in found if column], graph)


def _by_neighbours(found: list[list[str]], graph) -> list[list[str]]:
    """Each column ordered so that fewer edges cross: a node by the mean row of its parents, then,
    right to left, a leaf (which has none) by the mean row of the nodes it feeds."""
    size = max(map(len, found))
    row: dict[str, float] = {}

    def place(column: list[str]) -> None:
        # Rows on one scale across columns, each column centred: its i-th of n at (i + ½)·size/n.
        row.update({name: (index + 0.5) * size / len(column) for index, name in enumerate(column)})

    def mean(rows: list[float], default: float) -> float:
        return sum(rows) / len(rows) if rows else default

    leaves = set(graph.leaves)
    for column in found:  # stable sorts: ties keep the definition order
        nodes = [name for name in column if name not in leaves]
        nodes.sort(key=lambda name: mean([row[p] for p in graph.parents.get(name, ()) if p in row], 0.0))
        column[:] = nodes + [name for name in column if name in leaves]
        place(column)
    for column in reversed(found):  # right to left: each leaf beside the nodes it feeds, placed by now
        column.sort(key=lambda name: mean([row[c] for c in graph.children(name) if c in row], row[name]))
        place(column)
    return found


def _quoted(text: str) -> str:
    """A DOT string: every name is quoted, so that ``node`` or ``graph`` cannot be read as keywords."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def node_numbers(derivation: SymbolicDerivation) -> dict[str, tuple[float, float]]:
    """Each name's value and ∂L/∂name at the derivation's point, as micrograd's draw_dot shows data and grad.

    An error without a point, or with a data set (a value per sample, where one figure shows one).

    >>> from symbackprop.engine.derivation import derive
    >>> from symbackprop.exercise.model import from_equations
    >>> node_numbers(derive(from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})))
    {'x': (-2.0, -4.0), 'y': (5.0, -4.0), 'z': (-4.0, 3.0), 'q': (3.0, -4.0), 'f': (-12.0, 1.0)}
    """
    exercise = derivation.exercise
    if not isinstance(derivation, Derivation):
        raise SymbackpropError(f"{exercise.id} has no point: give every input and param a value", key="--values")
    if exercise.samples > 1:
        raise SymbackpropError(
            f"{exercise.id} has {exercise.samples} samples, a value each: one figure cannot show them", key="--values"
        )
    return {name: (derivation.values[name], derivation.adjoints.get(name, 0.0)) for name in exercise.graph.names}


def short_number(value: float) -> str:
    """A value on a figure: four significant figures, as micrograd's draw_dot prints four decimals.

    >>> short_number(-0.0158464), short_number(1.5), short_number(-0.0)
    ('-0.01585', '1.5', '0')
    """
    return f"{value + 0.0:.4g}"  # + 0.0: never "-0"


def _record(*fields: str) -> str:
    """A record label's fields, stacked (the graph runs left to right), Graphviz's specials escaped."""
    return "|".join(re.sub(r"([{}|<>])", r"\\\1", field) for field in fields)


def graph_dot(
    exercise: Exercise, edge_labels: bool = False, values: Mapping[str, tuple[float, float]] | None = None
) -> str:
    """The graph as Graphviz DOT, left to right, by layers; ``edge_labels`` writes each edge's local derivative.

    Params are boxes, the loss a double circle; each column of :func:`columns` is one rank. With
    ``values`` (from :func:`node_numbers`) each node is a record of its name, value and gradient.

    >>> from symbackprop.exercise.model import from_equations
    >>> print(graph_dot(from_equations({"t": "x + y", "z": "t**2"}, params=["x"]), edge_labels=True))
    digraph "equations" {
      rankdir=LR;
      node [shape=circle];
      "x" [label="x", shape=box];
      "y" [label="y"];
      "t" [label="t"];
      "z" [label="z", shape=doublecircle];
      { rank=same; "x"; "y"; }
      { rank=same; "t"; }
      { rank=same; "z"; }
      "x" -> "t" [label="1"];
      "y" -> "t" [label="1"];
      "t" -> "z" [label="2·t"];
    }
    """
    local = local_derivatives(exercise) if edge_labels else {}

    def node(name: str) -> str:
        if values is not None:
            value, grad = values[name]
            label = _record(pretty_name(name), f"value {short_number(value)}", f"grad {short_number(grad)}")
            style = ", style=filled, fillcolor=gray90" if name in exercise.params else ""
            style += ", peripheries=2" if name == exercise.loss else ""
            return f"{_quoted(name)} [label={_quoted(label)}{style}];"
        shape = "box" if name in exercise.params else "doublecircle" if name == exercise.loss else None
        attributes = f"label={_quoted(pretty_name(name))}" + (f", shape={shape}" if shape else "")
        return f"{_quoted(name)} [{attributes}];"

    graph = exercise.graph
    shape = "record" if values is not None else "circle"
    lines = [f"digraph {_quoted(exercise.id)} {{", "  rankdir=LR;", f"  node [shape={shape}];"]
    lines += [f"  {node(name)}" for name in graph.names]
    lines += [f"  {{ rank=same; {' '.join(_quoted(name) + ';' for name in column)} }}" for column in columns(exercise)]
    for name in graph.nodes:
        for parent in graph.parents[name]:
            label = f" [label={_quoted(unicode(local[name, parent]))}]" if edge_labels else ""
            lines.append(f"  {_quoted(parent)} -> {_quoted(name)}{label};")
    lines.append("}")
    return "\n".join(lines)
