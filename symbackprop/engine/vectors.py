"""``[vectors]``: ∂L/∂w for a vector of params, as lecture 002 writes it for f = σ(w·x).

When every entry of w feeds one node a (a = w·x + b), ∂L/∂w = ∂L/∂f ∂f/∂a ∂a/∂w: the chain of
single nodes from the loss down to a, then ∂a/∂w, the vector of a's local derivatives, which
is x when a = w·x. Its value is the vector of the entries' gradients, and gradient descent
with the lecture's γ (``[train] lr``) updates w ← w − γ ∂L/∂w.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy

from symbackprop.engine.derivation import Derivation
from symbackprop.engine.symbolic import SymbolicDerivation


@dataclass(frozen=True)
class VectorGradient:
    """∂L/∂v for one declared vector v: its chain through a shared node, ∂a/∂v and the values."""

    name: str
    entries: tuple[str, ...]
    node: str | None  # the node every entry feeds (a), None when they feed different nodes
    chain: tuple[str, ...]  # the nodes from the loss down to ``node`` when that path is the only one
    local: tuple[sympy.Expr, ...]  # ∂a/∂entry, one per entry
    local_vector: str | None  # the declared vector ∂a/∂v equals, entry by entry (x), if any
    values: tuple[float, ...] | None  # ∂L/∂entry at the point (summed or averaged over [data])
    lr: float | None  # the [train] lr, γ
    updated: tuple[float, ...] | None  # v − γ ∂L/∂v


def vector_gradients(derivation: SymbolicDerivation) -> list[VectorGradient]:
    """∂L/∂v for every vector of params the exercise declares."""
    exercise = derivation.exercise
    graph = exercise.graph
    found = []
    for name, entries in exercise.vectors.items():
        if entries[0] not in exercise.params:
            continue  # a vector of inputs (x) is what ∂a/∂w may equal, not a gradient to take
        children = {child for entry in entries for child in graph.children(entry)}
        node = children.pop() if len(children) == 1 else None
        local = tuple(derivation.local[(node, entry)] for entry in entries) if node else ()
        chain = _only_path(derivation, node) if node else ()
        values = updated = None
        lr = exercise.train.get("lr")
        if isinstance(derivation, Derivation):
            values = tuple(derivation.adjoints.get(entry, 0.0) for entry in entries)
            if lr is not None:
                point = derivation.point
                updated = tuple(float(point[e]) - float(lr) * v for e, v in zip(entries, values, strict=True))
        found.append(
            VectorGradient(
                name,
                entries,
                node,
                chain,
                local,
                _equal_vector(exercise.vectors, local, exercise.symbols),
                values,
                float(lr) if lr is not None else None,
                updated,
            )
        )
    return found


def _only_path(derivation: SymbolicDerivation, node: str) -> tuple[str, ...]:
    """The nodes from the loss down to ``node`` when there is one path between them, else ()."""
    graph, loss = derivation.exercise.graph, derivation.exercise.loss
    paths = graph.paths(node, loss, 2)
    return tuple(reversed(paths[0])) if len(paths) == 1 else ()


def _equal_vector(
    vectors: dict[str, tuple[str, ...]], local: tuple[sympy.Expr, ...], symbols: dict[str, sympy.Symbol]
) -> str | None:
    """The declared vector whose entries are ``local``'s, in order (x for ∂(w·x)/∂w)."""
    for name, entries in vectors.items():
        if len(entries) == len(local) and all(
            entry in symbols and value == symbols[entry] for entry, value in zip(entries, local, strict=True)
        ):
            return name
    return None
