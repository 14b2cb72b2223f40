"""The derivation at a point: every symbolic form of the chain rule with its numbers.

One forward and one backward pass (:func:`~symbackprop.engine.evaluation.evaluate_pass`)
gives every node's value and every ∂L/∂name; a path's value is the product of its edges'
values. With ``[data]`` the formulas are one sample's, and values, path values and δ values
are summed or averaged over the samples, like the loss.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from typing import NamedTuple, overload

import sympy

from symbackprop.core.functions import ActivationBase
from symbackprop.engine.evaluation import evaluate_pass
from symbackprop.engine.symbolic import DEFAULT_MAX_PATHS, SymbolicDerivation, SymbolicGradient, tree_size
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise

EXACT_MAX_OPS = 20  # an exact value longer than this is shown as a float only
EXACT_MAX_NODES = 200  # an exact node value larger than this ends the exact pass along its paths


@dataclass(frozen=True)
class Gradient(SymbolicGradient):
    """∂L/∂P at a point: every symbolic form, each path's and δ step's value, and the gradient's."""

    derivation: Derivation = field(repr=False, compare=False)
    value: float
    path_values: tuple[float, ...]  # one per listed path, in the order of ``paths``
    delta_values: tuple[float, ...]  # ∂L/∂node per step, in the order of ``delta``

    @cached_property
    def exact(self) -> sympy.Expr | None:
        """The exact value at the point when it is short (2π − 3), else None.

        It comes from the exact pass over the graph, never from the closed form: substituting
        into a dense net's closed form walks a tree exponentially larger than the graph.
        """
        value = self.derivation.exact_adjoints.get(self.wrt)
        # Only a short closed number (2π − 3, −4) says more than the float does.
        if value is None or value.has(sympy.Float, ActivationBase) or sympy.count_ops(value) > EXACT_MAX_OPS:
            return None
        return value


class Derivation(SymbolicDerivation):
    """Everything the chain rule gives for an exercise at a point: the symbolic forms with their values."""

    def __init__(self, exercise: Exercise, point: Mapping[str, sympy.Expr], max_paths: int = DEFAULT_MAX_PATHS):
        super().__init__(exercise, max_paths)
        self.point = dict(point)
        self.numeric = evaluate_pass(exercise, self.local, self.point)

    @cached_property
    def exact_adjoints(self) -> dict[str, sympy.Expr | None]:
        """∂L/∂name in exact arithmetic, one node at a time; None where it is not short.

        A value that is not short (a float, an activation that stays unevaluated, more than
        EXACT_MAX_NODES nodes) makes everything computed from it None: its gradient could not
        be a short exact number either, and carrying it on would grow without bound. With
        ``[data]`` or a float in the point there is no exact pass: every entry is None.
        """
        ex = self.exercise
        names = ex.graph.names
        if ex.data or any(sympy.sympify(value).has(sympy.Float) for value in self.point.values()):
            return dict.fromkeys(names)
        env: dict[sympy.Symbol, sympy.Expr] = {ex.symbols[name]: value for name, value in self.point.items()}
        unknown: set[sympy.Symbol] = set()  # nodes whose exact value is not short

        def short(expr: sympy.Expr) -> sympy.Expr | None:
            if expr.free_symbols & unknown:
                return None
            value = expr.xreplace(env)
            if value.has(sympy.Float, ActivationBase) or tree_size(value) > EXACT_MAX_NODES:
                return None
            return value

        for node, rhs in ex.equations.items():
            value = short(rhs)
            if value is None:
                unknown.add(ex.symbols[node])
            else:
                env[ex.symbols[node]] = value
        adjoint: dict[str, sympy.Expr | None] = dict.fromkeys(names, sympy.Integer(0))
        adjoint[ex.loss] = sympy.Integer(1)
        graph = ex.graph
        for node in reversed(graph.order):
            for parent in graph.parents.get(node, ()):
                upstream, local = adjoint[node], short(self.local[node, parent])
                total = adjoint[parent]
                if upstream is None or local is None or total is None:
                    adjoint[parent] = None
                else:
                    adjoint[parent] = total + upstream * local
        return adjoint

    @property
    def values(self) -> dict[str, float]:
        """Every node's value (the first sample's, when there is data)."""
        return self.numeric.values

    @property
    def adjoints(self) -> dict[str, float]:
        """∂L/∂name for every name, of the summed or averaged loss."""
        return self.numeric.adjoints

    def gradient(self, wrt: str) -> Gradient:
        """∂L/∂wrt in every form, with its values."""
        forms = super().gradient(wrt)
        return Gradient(
            wrt=forms.wrt,
            loss=forms.loss,
            paths=forms.paths,
            paths_total=forms.paths_total,
            delta=forms.delta,
            derivation=self,
            value=self.adjoints.get(wrt, 0.0),
            path_values=tuple(self.numeric.path_value(path.edges) for path in forms.paths),
            delta_values=tuple(self.adjoints[step.node] for step in forms.delta),
        )


class Values(NamedTuple):
    """A gradient's values for display: each path's, each δ step's and its own; None without a point."""

    paths: tuple[float | None, ...]
    delta: tuple[float | None, ...]
    value: float | None


def values_to_show(gradient: SymbolicGradient) -> Values:
    """``gradient``'s values, or as many Nones for the forms alone (an ad-hoc graph prints them blank).

    >>> from symbackprop.exercise.model import from_equations
    >>> values_to_show(SymbolicDerivation(from_equations({"E": "w*x"})).gradient("w"))
    Values(paths=(None,), delta=(None,), value=None)
    """
    if isinstance(gradient, Gradient):
        return Values(gradient.path_values, gradient.delta_values, gradient.value)
    return Values((None,) * len(gradient.paths), (None,) * len(gradient.delta), None)


def derive(
    exercise: Exercise,
    *,
    at: Mapping[str, object] | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> Derivation:
    """The chain rule for ``exercise`` at its point (with ``at`` overrides); an error when it has none.

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    >>> d = derive(ex)
    >>> [d.gradient(p).value for p in ("x", "y", "z")]
    [-4.0, -4.0, 3.0]
    """
    point = exercise.at(at)
    if point is None:
        raise SymbackpropError(
            f"{exercise.id} has no point: give every input and param a value (at=), "
            "or take the forms alone from SymbolicDerivation",
            key="at",
        )
    return Derivation(exercise, point, max_paths)


def derive_available(
    exercise: Exercise,
    *,
    at: Mapping[str, object] | None = None,
    max_paths: int = DEFAULT_MAX_PATHS,
) -> SymbolicDerivation:
    """The derivation at the exercise's point when it has one, else its forms alone (an ad-hoc graph).

    >>> from symbackprop.exercise.model import from_equations
    >>> type(derive_available(from_equations({"E": "w*x"}))).__name__
    'SymbolicDerivation'
    """
    point = exercise.at(at)
    if point is None:
        return SymbolicDerivation(exercise, max_paths)
    return Derivation(exercise, point, max_paths)


@overload
def gradients(derivation: Derivation, wrt: Iterable[str] | None = None) -> dict[str, Gradient]: ...
@overload
def gradients(derivation: SymbolicDerivation, wrt: Iterable[str] | None = None) -> dict[str, SymbolicGradient]: ...
def gradients(derivation: SymbolicDerivation, wrt: Iterable[str] | None = None) -> dict:
    """The gradients for ``wrt`` (the exercise's params by default), in the order asked."""
    names = list(wrt) if wrt else list(derivation.exercise.params)
    return {name: derivation.gradient(name) for name in dict.fromkeys(names)}
