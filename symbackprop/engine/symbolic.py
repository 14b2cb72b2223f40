"""The chain rule in symbols: every path's local factors, the δ recursion and the closed form.

None of it needs a point. Paths are listed only for display, and only up to a bound: the
gradient never depends on them. The δ recursion is the reverse pass written out, one step
per node from the loss back; carried out symbolically it gives the closed form.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property

import sympy

from symbackprop.engine.local import Edge, local_derivatives
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.parse.printer import plain, product

DEFAULT_MAX_PATHS = 64
# Nodes: a closed form larger than this is measured, not printed, unless it is asked for. A
# dense net's closed form repeats its shared subexpressions exponentially often; the lecture
# examples' largest has 175 nodes, and one of 300 already runs to over a thousand characters.
CLOSED_MAX_SIZE = 300

Printer = Callable[[sympy.Expr], str]


def _edges(nodes: tuple[str, ...]) -> list[Edge]:
    """A path's edges as (child, parent), from the param up."""
    return list(zip(nodes[1:], nodes[:-1], strict=True))


@dataclass(frozen=True)
class Path:
    """One path from the param to the loss, with the local derivative on each edge."""

    nodes: tuple[str, ...]
    factors: tuple[sympy.Expr, ...]  # factors[i] = ∂nodes[i+1]/∂nodes[i]

    @property
    def edges(self) -> list[Edge]:
        """The path's edges as (child, parent), from the param up."""
        return _edges(self.nodes)

    @property
    def chain(self) -> list[tuple[str, str]]:
        """The path's edges as the lecture chains them, from the loss back: (E, y), (y, s4), …"""
        return list(zip(self.nodes[:0:-1], self.nodes[-2::-1], strict=True))

    def chain_text(
        self, fraction: Callable[[str, str], str] = lambda top, bottom: f"d{top}/d{bottom}", separator: str = "*"
    ) -> str:
        """The chain rule along the path, ``fraction(top, bottom)`` per edge: dE/dy*dy/ds4*…"""
        return separator.join(fraction(top, bottom) for top, bottom in self.chain)

    @property
    def product(self) -> sympy.Expr:
        """The product of the local factors."""
        return sympy.Mul(*self.factors)

    def product_text(self, printer: Printer = plain, separator: str = "*") -> str:
        """The product written from the loss back to the param, as the lecture writes it."""
        return product(list(reversed(self.factors)), printer, separator)


@dataclass(frozen=True)
class DeltaStep:
    """∂L/∂node as the sum over its children c of ∂L/∂c · ∂c/∂node (the error-term recursion)."""

    node: str
    terms: tuple[tuple[str, sympy.Expr], ...]  # (child, ∂child/∂node)


@dataclass(frozen=True)
class SymbolicGradient:
    """∂L/∂P in symbols: its paths, their sum, the δ recursion and the closed form."""

    wrt: str
    loss: str
    paths: tuple[Path, ...]
    paths_total: int
    delta: tuple[DeltaStep, ...]
    derivation: SymbolicDerivation = field(repr=False, compare=False)

    @property
    def single_edge(self) -> bool:
        """Whether the param feeds the loss directly: its chain rule would only say ∂L/∂P = ∂L/∂P."""
        return bool(self.paths) and all(len(path.nodes) == 2 for path in self.paths)

    @property
    def paths_omitted(self) -> int:
        """How many paths were not listed (a dense network has exponentially many)."""
        return self.paths_total - len(self.paths)

    @cached_property
    def path_sum(self) -> sympy.Expr | None:
        """The sum of the path products in node names; None when not every path is listed."""
        if self.paths_omitted:
            return None
        return sympy.Add(*[path.product for path in self.paths])

    def path_sum_text(self, printer: Printer = plain, separator: str = "*") -> str | None:
        """The path sum written term by term in the lecture's order, or None when paths were left out."""
        terms = self.path_sum_terms(printer, separator)
        return None if terms is None else " ".join(terms)

    def path_sum_terms(self, printer: Printer = plain, separator: str = "*") -> list[str] | None:
        """The path sum's terms, each after the first with its sign: ["a*b", "- c*d", "+ e"]."""
        if self.paths_omitted:
            return None
        if not self.paths:
            return ["0"]
        terms: list[str] = []
        for path in self.paths:
            term = path.product_text(printer, separator)
            if not terms:
                terms.append(term)
            elif term.startswith("-"):
                terms.append(f"- {term[1:]}")
            else:
                terms.append(f"+ {term}")
        return terms

    @cached_property
    def closed(self) -> sympy.Expr:
        """The gradient in inputs and params only."""
        return self.derivation.closed_gradient(self.wrt)

    @cached_property
    def closed_size(self) -> int:
        """The number of nodes of the closed form's tree (SPEC's ``closed_size``), counted without printing it."""
        return tree_size(self.closed)

    def closed_within(self, limit: int | None = CLOSED_MAX_SIZE) -> sympy.Expr | None:
        """The closed form when it has at most ``limit`` nodes (None: any size), else None."""
        return self.closed if limit is None or self.closed_size <= limit else None


def tree_size(expr: sympy.Expr) -> int:
    """How many nodes ``expr``'s tree has, as :func:`sympy.preorder_traversal` visits them.

    A shared subexpression counts every time it appears, yet is measured once: the count takes
    time in the size of the DAG, not of the tree.

    >>> x = sympy.Symbol("x")
    >>> shared = sympy.sin(x + 1) * (x + 1)
    >>> tree_size(x + 1), tree_size(shared), len(list(sympy.preorder_traversal(shared)))
    (3, 8, 8)
    """
    sizes: dict[sympy.Basic, int] = {}
    stack: list[sympy.Basic] = [expr]
    while stack:
        node = stack[-1]
        if node in sizes:
            stack.pop()
            continue
        waiting = [arg for arg in node.args if arg not in sizes]
        if waiting:
            stack.extend(waiting)
            continue
        stack.pop()
        sizes[node] = 1 + sum(sizes[arg] for arg in node.args)
    return sizes[expr]


class SymbolicDerivation:
    """Everything the chain rule gives for an exercise without numbers: edges, paths, δ steps, closed forms.

    With ``[data]`` the equations (and so every form) are one sample's.

    >>> from symbackprop.exercise.model import from_equations
    >>> g = SymbolicDerivation(from_equations({"q": "x + y", "f": "q*z"})).gradient("x")
    >>> [path.nodes for path in g.paths], g.path_sum, g.closed
    ([('x', 'q', 'f')], z, z)
    """

    def __init__(self, exercise: Exercise, max_paths: int = DEFAULT_MAX_PATHS):
        self.exercise = exercise
        self.max_paths = max_paths
        self.local = local_derivatives(exercise)  # ∂child/∂parent per edge, keyed (child, parent)

    def gradient(self, wrt: str) -> SymbolicGradient:
        """∂L/∂wrt in every symbolic form."""
        self._check(wrt)
        total = self.exercise.graph.count_paths(wrt, self.exercise.loss)
        return SymbolicGradient(wrt, self.exercise.loss, self._paths(wrt), total, self._delta(wrt), derivation=self)

    def _check(self, wrt: str) -> None:
        ex = self.exercise
        # A declared param that no equation uses is allowed: its gradient is 0 (the loader warns).
        if (wrt not in ex.graph.names and wrt not in ex.params) or wrt == ex.loss:
            raise SymbackpropError(
                f"{wrt!r} is not a name of {ex.id} other than the loss (params: {', '.join(ex.params) or 'none'})",
                key="--wrt",
            )

    def _paths(self, wrt: str) -> tuple[Path, ...]:
        """The paths from ``wrt`` to the loss, at most ``max_paths`` of them."""
        listed = self.exercise.graph.paths(wrt, self.exercise.loss, self.max_paths)
        return tuple(Path(nodes, tuple(self.local[edge] for edge in _edges(nodes))) for nodes in listed)

    def _delta(self, wrt: str) -> tuple[DeltaStep, ...]:
        """∂L/∂node for the nodes on the paths from ``wrt``, from the loss back (ends at ``wrt``)."""
        graph = self.exercise.graph
        on_paths = graph.between(wrt, self.exercise.loss)
        keep = set(on_paths)
        steps = []
        for node in reversed(on_paths[:-1]):
            terms = tuple((child, self.local[child, node]) for child in graph.children(node) if child in keep)
            steps.append(DeltaStep(node, terms))
        return tuple(steps)

    @cached_property
    def closed_nodes(self) -> dict[sympy.Symbol, sympy.Expr]:
        """Each node's right side in inputs and params only."""
        ex = self.exercise
        closed: dict[sympy.Symbol, sympy.Expr] = {}
        for node, rhs in ex.equations.items():
            closed[ex.symbols[node]] = rhs.xreplace(closed)
        return closed

    def closed_gradient(self, wrt: str) -> sympy.Expr:
        """∂L/∂wrt in inputs and params: the δ recursion carried out symbolically."""
        adjoint: dict[str, sympy.Expr] = {self.exercise.loss: sympy.Integer(1)}
        for step in self._delta(wrt):
            adjoint[step.node] = sympy.Add(*[adjoint[child] * local for child, local in step.terms])
        return adjoint.get(wrt, sympy.Integer(0)).xreplace(self.closed_nodes)
