"""The chain-rule engine: local derivatives on edges, reverse accumulation, paths, closed forms.

For every edge ``u → v`` the local derivative ∂v/∂u is taken from v's right side alone, in
the lecture's terms (∂h/∂s = h(1 − h), ∂E/∂y = −(y_t − y)). One reverse pass over a single
topological order accumulates ∂L/∂u for every name with ``+=``, which is exactly the sum
over paths, in time linear in the number of edges. Paths are listed only for display, and
only up to a bound: the gradient never depends on them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property

import sympy

from symbackprop.core.functions import ActivationBase, conventions_in_force, outer_derivative
from symbackprop.engine.evaluation import evaluate_pass
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.render.plain import plain, product

DEFAULT_MAX_PATHS = 64
EXACT_MAX_OPS = 20  # an exact value longer than this is shown as a float only

# A term of a local derivative: numeric coefficient times factors kept apart, so that
# −(y_t − y) stays a negated difference instead of SymPy's distributed y − y_t.
Term = tuple[sympy.Expr, tuple[sympy.Expr, ...]]


def _terms(expr: sympy.Expr, var: sympy.Symbol, outputs: Mapping[sympy.Expr, sympy.Symbol]) -> list[Term]:
    """∂expr/∂var as a list of terms, one derivative rule per kind of node."""
    if expr == var:
        return [(sympy.Integer(1), ())]
    if not expr.has(var):
        return []
    if expr.is_Add:
        return [term for arg in expr.args for term in _terms(arg, var, outputs)]
    if expr.is_Mul:
        coefficient, factors = expr.as_coeff_mul()
        found = []
        for index, factor in enumerate(factors):
            others = factors[:index] + factors[index + 1 :]
            for number, inner in _terms(factor, var, outputs):
                found.append((coefficient * number, others + inner))
        return found
    if expr.is_Pow and not expr.exp.has(var):
        base, exponent = expr.args
        reduced = base ** (exponent - 1)
        return [(exponent * number, (reduced, *inner)) for number, inner in _terms(base, var, outputs)]
    # Max and Min are not sympy.Function subclasses, but take their derivative (and its value
    # at a tie) from the conventions like every other function.
    if isinstance(expr, (sympy.Function, sympy.Max, sympy.Min)):
        found = []
        for index, arg in enumerate(expr.args):
            if arg.has(var):
                outer = outer_derivative(expr, index + 1).xreplace(outputs)
                found += [(number, (outer, *inner)) for number, inner in _terms(arg, var, outputs)]
        return found
    if expr.is_Pow:  # a variable exponent: SymPy's own derivative, as one factor
        return [(sympy.Integer(1), (sympy.diff(expr, var),))]
    raise SymbackpropError(f"no derivative rule for {type(expr).__name__} (in {expr})")


def _term_expr(coefficient: sympy.Expr, factors: tuple[sympy.Expr, ...]) -> sympy.Expr:
    number, body = sympy.Mul(*factors).as_coeff_Mul()
    number *= coefficient
    if number != 1 and body.is_Add:
        return sympy.Mul(number, body, evaluate=False)  # −(y_t − y), not y − y_t
    return number * body


def local_derivative(
    rhs: sympy.Expr, var: sympy.Symbol, outputs: Mapping[sympy.Expr, sympy.Symbol] | None = None
) -> sympy.Expr:
    """∂rhs/∂var written as the lecture writes it; ``outputs`` maps σ(s) back to its node h.

    >>> from sympy import Symbol
    >>> from symbackprop.core.functions import Sigmoid
    >>> y, t, s, h = (Symbol(n) for n in ("y", "y_t", "s", "h"))
    >>> plain(local_derivative((t - y)**2 / 2, y))
    '-(y_t - y)'
    >>> plain(local_derivative(Sigmoid(s), s, {Sigmoid(s): h}))
    'h*(1 - h)'
    """
    terms = _terms(rhs, var, outputs or {})
    if not terms:
        return sympy.Integer(0)
    return sympy.Add(*[_term_expr(number, factors) for number, factors in terms])


@dataclass(frozen=True)
class Path:
    """One path from the param to the loss, with the local derivative on each edge."""

    nodes: tuple[str, ...]
    factors: tuple[sympy.Expr, ...]  # factors[i] = ∂nodes[i+1]/∂nodes[i]
    value: float | None

    @property
    def chain(self) -> list[tuple[str, str]]:
        """The path's edges as the lecture chains them, from the loss back: (E, y), (y, s4), …"""
        return list(zip(self.nodes[:0:-1], self.nodes[-2::-1], strict=True))

    def chain_text(self, fraction=lambda top, bottom: f"d{top}/d{bottom}", separator: str = "*") -> str:
        """The chain rule along the path, ``fraction(top, bottom)`` per edge: dE/dy*dy/ds4*…"""
        return separator.join(fraction(top, bottom) for top, bottom in self.chain)

    @property
    def product(self) -> sympy.Expr:
        """The product of the local factors."""
        return sympy.Mul(*self.factors)

    def product_text(self, printer=plain, separator: str = "*") -> str:
        """The product written from the loss back to the param, as the lecture writes it."""
        return product(list(reversed(self.factors)), printer, separator)


@dataclass(frozen=True)
class DeltaStep:
    """∂L/∂node as the sum over its children c of ∂L/∂c · ∂c/∂node (the error-term recursion)."""

    node: str
    terms: tuple[tuple[str, sympy.Expr], ...]  # (child, ∂child/∂node)
    value: float | None


@dataclass(frozen=True)
class Gradient:
    """∂L/∂P in every form: paths, their sum, the δ recursion, the closed form and the value."""

    wrt: str
    loss: str
    paths: tuple[Path, ...]
    paths_total: int
    delta: tuple[DeltaStep, ...]
    value: float | None
    derivation: Derivation = field(repr=False, compare=False)

    def _repr_latex_(self) -> str:
        """Jupyter shows a gradient as its worked solution."""
        from symbackprop.render.latex import gradient_latex  # latex imports this module

        return gradient_latex(self)

    @property
    def single_edge(self) -> bool:
        """Whether the param feeds the loss directly: its chain rule would only say ∂L/∂P = ∂L/∂P."""
        return bool(self.paths) and all(len(path.nodes) == 2 for path in self.paths)

    @property
    def paths_omitted(self) -> int:
        """How many paths were not listed (a dense network has exponentially many)."""
        return self.paths_total - len(self.paths)

    @cached_property
    def local(self) -> sympy.Expr | None:
        """The sum of the path products in node names; None when not every path is listed."""
        if self.paths_omitted:
            return None
        return sympy.Add(*[path.product for path in self.paths])

    def local_text(self, printer=plain, separator: str = "*") -> str | None:
        """The path sum written term by term in the lecture's order, or None when paths were left out."""
        terms = self.local_terms(printer, separator)
        return None if terms is None else " ".join(terms)

    def local_terms(self, printer=plain, separator: str = "*") -> list[str] | None:
        """The path sum's terms, each after the first with its sign: ["a*b", "- c*d", "+ e"]."""
        if self.paths_omitted:
            return None
        if not self.paths:
            return ["0"]
        terms = []
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
    def exact(self) -> sympy.Expr | None:
        """The exact value at the point when it is short (2π − 3), else None."""
        point = self.derivation.point
        if point is None or self.derivation.exercise.data:
            return None  # with data the closed form is one sample's; its value is not the total
        value = self.closed.xreplace({self.derivation.exercise.symbols[n]: v for n, v in point.items()})
        # Only a short closed number (2π − 3, −4) says more than the float does.
        if value.has(sympy.Float, ActivationBase) or sympy.count_ops(value) > EXACT_MAX_OPS:
            return None
        return value


class Derivation:
    """Everything the chain rule gives for an exercise at a point: edges, values, gradients.

    With ``[data]`` the equations (and so every symbolic form) are one sample's; values,
    path values and δ values are summed or averaged over the samples, like the loss.
    """

    def __init__(self, exercise: Exercise, point: dict[str, sympy.Expr] | None, max_paths: int):
        self.exercise = exercise
        self.point = point
        self.max_paths = max_paths
        self.local = self._local_derivatives()
        self.numeric = evaluate_pass(exercise, self.local, point) if point is not None else None
        self.values = self.numeric.values if self.numeric else None
        self.adjoints = self.numeric.adjoints if self.numeric else None

    def _local_derivatives(self) -> dict[tuple[str, str], sympy.Expr]:
        """∂v/∂u for every edge u → v, keyed (v, u)."""
        ex = self.exercise
        sym = ex.symbols
        outputs = {
            rhs: sym[node]
            for node, rhs in ex.equations.items()
            if isinstance(rhs, ActivationBase) and rhs.derivative_uses_output
        }
        local = {}
        with conventions_in_force(ex.conventions):
            for node, rhs in ex.equations.items():
                for parent in ex.graph.parents[node]:
                    local[node, parent] = local_derivative(rhs, sym[parent], outputs)
        return local

    def _repr_latex_(self) -> str:
        """Jupyter shows a derivation as the worked solution for every param."""
        from symbackprop.render.latex import derivation_latex  # latex imports this module

        return derivation_latex(self)

    def gradient(self, wrt: str) -> Gradient:
        """∂L/∂wrt in every form."""
        ex = self.exercise
        # A declared param that no equation uses is allowed: its gradient is 0 (the loader warns).
        if (wrt not in ex.graph.names and wrt not in ex.params) or wrt == ex.loss:
            raise SymbackpropError(
                f"{wrt!r} is not a name of {ex.id} other than the loss (params: {', '.join(ex.params) or 'none'})",
                key="--wrt",
            )
        return Gradient(
            wrt=wrt,
            loss=ex.loss,
            paths=tuple(self._path(nodes) for nodes in ex.graph.paths(wrt, ex.loss, self.max_paths)),
            paths_total=ex.graph.count_paths(wrt, ex.loss),
            delta=self._delta(wrt),
            value=self.adjoints.get(wrt, 0.0) if self.adjoints else None,
            derivation=self,
        )

    def _path(self, nodes: tuple[str, ...]) -> Path:
        edges = list(zip(nodes[1:], nodes[:-1], strict=True))  # (child, parent)
        value = self.numeric.path_value(edges) if self.numeric is not None else None
        return Path(nodes=nodes, factors=tuple(self.local[edge] for edge in edges), value=value)

    def _delta(self, wrt: str) -> tuple[DeltaStep, ...]:
        """∂L/∂node for the nodes on the paths from ``wrt``, from the loss back (ends at ``wrt``)."""
        graph = self.exercise.graph
        on_paths = graph.between(wrt, self.exercise.loss)
        keep = set(on_paths)
        steps = []
        for node in reversed(on_paths[:-1]):
            terms = tuple((child, self.local[child, node]) for child in graph.children(node) if child in keep)
            steps.append(DeltaStep(node, terms, self.adjoints[node] if self.adjoints else None))
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


def derive(
    exercise: Exercise,
    *,
    at: Mapping[str, object] | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> Derivation:
    """The chain rule for ``exercise`` at its point (with ``at`` overrides).

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    >>> d = derive(ex)
    >>> [d.gradient(p).value for p in ("x", "y", "z")]
    [-4.0, -4.0, 3.0]
    """
    return Derivation(exercise, exercise.at(at), max_paths)


def local_derivatives(exercise: Exercise) -> dict[tuple[str, str], sympy.Expr]:
    """∂child/∂parent on every edge, keyed (child, parent), in the lecture's terms; no point needed.

    >>> from symbackprop.exercise.model import from_equations
    >>> local_derivatives(from_equations({"t": "x + y", "z": "t**2"}))
    {('t', 'x'): 1, ('t', 'y'): 1, ('z', 't'): 2*t}
    """
    return Derivation(exercise, None, max_paths=1).local


def gradients(derivation: Derivation, wrt: Iterable[str] | None = None) -> dict[str, Gradient]:
    """The gradients for ``wrt`` (the exercise's params by default), in the order asked."""
    names = list(wrt) if wrt else list(derivation.exercise.params)
    return {name: derivation.gradient(name) for name in dict.fromkeys(names)}
