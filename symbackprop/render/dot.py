"""The graph of an exercise as a picture: columns by depth, and Graphviz DOT.

Both the TikZ figure of :mod:`symbackprop.render.latex_figure` and the DOT text lay the graph out the same
way: inputs and params on the left, each node one column right of its deepest parent, the
loss alone in the last column, as the lectures draw a network.
"""

from __future__ import annotations

from symbackprop.engine.local import local_derivatives
from symbackprop.exercise.model import Exercise
from symbackprop.render.plain import pretty_name, unicode


def columns(exercise: Exercise) -> list[list[str]]:
    """The names column by column, left to right: leaves, then nodes by depth, the loss last.

    >>> from symbackprop.exercise.model import from_equations
    >>> columns(from_equations({"q": "x + y", "f": "q*z"}))
    [['x', 'y', 'z'], ['q'], ['f']]
    """
    graph = exercise.graph
    depth = dict.fromkeys(graph.leaves, 0)
    for node in graph.nodes:  # definition order: every parent is placed before its node
        depth[node] = 1 + max((depth[parent] for parent in graph.parents[node]), default=-1)
    # The loss ends the drawing, alone, even when a shorter branch reaches it.
    others = [level for name, level in depth.items() if name != exercise.loss]
    depth[exercise.loss] = max(depth[exercise.loss], max(others, default=-1) + 1)
    found: list[list[str]] = [[] for _ in range(max(depth.values()) + 1)]
    for name in graph.names:
        found[depth[name]].append(name)
    return _by_parents([column for column in found if column], graph)


def _by_parents(found: list[list[str]], graph) -> list[list[str]]:
    """Each column ordered by the mean row of its nodes' parents, so that fewer edges cross."""
    row: dict[str, float] = {name: index for index, name in enumerate(found[0])}
    for column in found[1:]:

        def mean_row(name: str) -> float:
            parents = [row[parent] for parent in graph.parents[name] if parent in row]
            return sum(parents) / len(parents) if parents else 0.0

        column.sort(key=mean_row)  # stable: ties keep the definition order
        row.update({name: index * len(found[0]) / len(column) for index, name in enumerate(column)})
    return found


def _quoted(text: str) -> str:
    """A DOT string: every name is quoted, so that ``node`` or ``graph`` cannot be read as keywords."""
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def graph_dot(exercise: Exercise, edge_labels: bool = False) -> str:
    """The graph as Graphviz DOT, left to right; ``edge_labels`` writes each edge's local derivative.

    Params are boxes, the loss a double circle; inputs share the params' rank on the left.

    >>> from symbackprop.exercise.model import from_equations
    >>> print(graph_dot(from_equations({"t": "x + y", "z": "t**2"}, params=["x"]), edge_labels=True))
    digraph "equations" {
      rankdir=LR;
      node [shape=circle];
      { rank=source; "x" [label="x", shape=box]; "y" [label="y"]; }
      "t" [label="t"];
      "z" [label="z", shape=doublecircle];
      "x" -> "t" [label="1"];
      "y" -> "t" [label="1"];
      "t" -> "z" [label="2·t"];
    }
    """
    local = local_derivatives(exercise) if edge_labels else {}

    def node(name: str) -> str:
        shape = "box" if name in exercise.params else "doublecircle" if name == exercise.loss else None
        attributes = f"label={_quoted(pretty_name(name))}" + (f", shape={shape}" if shape else "")
        return f"{_quoted(name)} [{attributes}];"

    graph = exercise.graph
    lines = [f"digraph {_quoted(exercise.id)} {{", "  rankdir=LR;", "  node [shape=circle];"]
    if graph.leaves:
        lines.append(f"  {{ rank=source; {' '.join(node(name) for name in graph.leaves)} }}")
    lines += [f"  {node(name)}" for name in graph.nodes]
    for name in graph.nodes:
        for parent in graph.parents[name]:
            label = f" [label={_quoted(unicode(local[name, parent]))}]" if edge_labels else ""
            lines.append(f"  {_quoted(parent)} -> {_quoted(name)}{label};")
    lines.append("}")
    return "\n".join(lines)
