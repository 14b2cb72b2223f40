"""The chain rule's numbers at a point: one forward and one backward pass per sample.

This is the only numeric pass on the symbolic side. derive, train, audit and grading all
evaluate through it: the audit with a lecture's rounded numbers put in (:class:`Overrides`),
grading with every node value rounded the way a student who rounds too early computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, SupportsFloat, cast

import sympy

from symbackprop.core.functions import ActivationBase
from symbackprop.core.values import _FUNCTION_RULES as FUNCTION_RULES
from symbackprop.core.values import _power, evaluate
from symbackprop.engine.local import Edge
from symbackprop.errors import EvaluationError, SymbackpropError
from symbackprop.exercise.model import Exercise, loss_scale


@dataclass(frozen=True)
class Overrides:
    """Values to use instead of the computed ones: how a lecture carries its rounded numbers on."""

    values: Mapping[str, float] = field(default_factory=dict)  # node (or leaf) values
    locals: Mapping[Edge, float] = field(default_factory=dict)  # ∂child/∂parent, keyed (child, parent)
    adjoints: Mapping[str, float] = field(default_factory=dict)  # ∂L/∂name


NO_OVERRIDES = Overrides()


@dataclass(frozen=True)
class SamplePass:
    """One sample's numbers: node values, edge values ∂child/∂parent, and ∂L/∂name."""

    values: dict[str, float]
    edges: dict[Edge, float]
    adjoints: dict[str, float]


@dataclass(frozen=True)
class Pass:
    """The numbers at a point, per sample and with the loss summed or averaged over them.

    >>> from symbackprop.engine.local import local_derivatives
    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"})
    >>> result = evaluate_pass(ex, local_derivatives(ex), {"x": -2, "y": 5, "z": -4})
    >>> result.loss, result.adjoints["x"], result.edges["f", "q"]
    (-12.0, -4.0, -4.0)
    """

    samples: tuple[SamplePass, ...]
    scale: float  # each sample's weight in the total: 1, or 1/n for a mean over n samples
    adjoints: dict[str, float]  # ∂L/∂name of the summed or averaged loss
    loss: float  # the summed or averaged loss

    @property
    def values(self) -> dict[str, float]:
        """Node values (the first sample's, when there is data)."""
        return self.samples[0].values

    @property
    def edges(self) -> dict[Edge, float]:
        """Edge values ∂child/∂parent (the first sample's, when there is data)."""
        return self.samples[0].edges

    def path_value(self, edges: Sequence[Edge]) -> float:
        """The product of local derivatives along one path, summed or averaged over the samples."""
        return self.scale * math.fsum(math.prod(sample.edges[edge] for edge in edges) for sample in self.samples)


def evaluate_sample(
    exercise: Exercise,
    local: Mapping[Edge, sympy.Expr],
    leaves: Mapping[str, object],
    overrides: Overrides | None = None,
    rounding: Callable[[float], float] | None = None,
) -> SamplePass:
    """One sample's forward and backward pass at ``leaves``.

    ``overrides`` replace computed values as they are reached; ``rounding``, applied to every
    computed node value, is how a student who rounds too early computes.
    """
    overrides = overrides or NO_OVERRIDES
    if rounding is None and not (overrides.values or overrides.locals or overrides.adjoints):
        compiled = _compiled(exercise, local)
        if compiled is not None:
            try:
                return compiled(leaves)
            except (ZeroDivisionError, ValueError, OverflowError, TypeError, KeyError):
                pass  # the pass below meets the same error and says where, as the compiled one cannot
    sym = exercise.symbols
    where = exercise.path or exercise.id
    env = {sym[name]: float(cast(SupportsFloat, value)) for name, value in leaves.items()}
    env |= {sym[name]: value for name, value in overrides.values.items() if name in exercise.graph.leaves}
    for node, rhs in exercise.equations.items():
        if node in overrides.values:
            env[sym[node]] = overrides.values[node]
            continue
        try:
            value = evaluate(rhs, env)
        except SymbackpropError as error:
            raise error.located(where, f"graph.{node}") from None
        env[sym[node]] = rounding(value) if rounding else value
    edges = {}
    for edge, derivative in local.items():
        if edge in overrides.locals:
            edges[edge] = overrides.locals[edge]
            continue
        try:
            edges[edge] = evaluate(derivative, env)
        except SymbackpropError as error:
            raise error.located(where, f"∂{edge[0]}/∂{edge[1]}") from None
    graph = exercise.graph
    adjoint = dict.fromkeys(graph.names, 0.0)
    adjoint[exercise.loss] = 1.0
    # One reverse pass: each edge adds its path contribution; a node's ∂L/∂node is complete
    # when it is reached, which is where an override (a lecture's rounded δ) takes its place.
    for node in reversed(graph.order):
        if node in overrides.adjoints:
            adjoint[node] = overrides.adjoints[node]
        for parent in graph.parents.get(node, ()):
            adjoint[parent] += adjoint[node] * edges[node, parent]
    return SamplePass({symbol.name: value for symbol, value in env.items()}, edges, adjoint)


class CompiledPass:
    """One sample's forward and backward pass as one generated Python function, for a pass repeated many times.

    ``train`` runs the same pass ten thousand times. Walking each expression's tree every time
    cost more than the arithmetic; this writes the arithmetic out once, in the same order and
    with the same rules as :func:`~symbackprop.core.values.evaluate` and the reverse pass of
    :func:`evaluate_sample`, so that every float comes out identical. The generated source holds
    only variables ``v0, v1, …``, indices into a table of constants and functions, and
    arithmetic: no name or text from the exercise is written into it.
    """

    def __init__(self, exercise: Exercise, local: Mapping[Edge, sympy.Expr]):
        graph = exercise.graph
        self.exercise = exercise
        self.nodes = tuple(exercise.equations)
        self.edges = tuple(local)
        self.names = graph.names
        self.leaves = graph.leaves
        self.table: list[object] = []  # constants and functions the generated code calls, by index
        variable = {exercise.symbols[name]: f"v{k}" for k, name in enumerate(self.leaves + self.nodes)}
        lines = [f"    v{k} = leaves[{k}]" for k in range(len(self.leaves))]
        for node, rhs in exercise.equations.items():
            lines.append(f"    {variable[exercise.symbols[node]]} = {self._source(rhs, variable)}")
        lines += [f"    e{k} = {self._source(local[edge], variable)}" for k, edge in enumerate(self.edges)]
        edge_index = {edge: k for k, edge in enumerate(self.edges)}
        adjoint = {name: f"a{k}" for k, name in enumerate(self.names)}
        lines += [f"    {adjoint[name]} = 0.0" for name in self.names]
        lines.append(f"    {adjoint[exercise.loss]} = 1.0")
        for node in reversed(graph.order):
            for parent in graph.parents.get(node, ()):
                lines.append(f"    {adjoint[parent]} += {adjoint[node]} * e{edge_index[node, parent]}")
        nodes = _tuple(variable[exercise.symbols[n]] for n in self.nodes)
        edges = _tuple(f"e{k}" for k in range(len(self.edges)))
        lines.append(f"    return {nodes}, {edges}, {_tuple(adjoint.values())}")
        namespace: dict[str, Any] = {"fsum": math.fsum, "power": _power, "t": self.table}
        self.source = "def run(leaves):\n" + "\n".join(lines) + "\n"
        exec(compile(self.source, "<compiled pass>", "exec"), namespace)
        self.run: Callable[[list[float]], tuple[tuple[float, ...], ...]] = namespace["run"]

    def _source(self, expr: sympy.Expr, variable: Mapping[sympy.Symbol, str]) -> str:
        """``expr`` as a Python expression, each op as :func:`~symbackprop.core.values.evaluate` computes it."""
        if expr.is_Symbol:
            return variable[expr]
        if expr.is_Number or expr.is_NumberSymbol:
            return self._entry(float(expr))
        args = [self._source(arg, variable) for arg in expr.args]
        if expr.is_Add:
            return f"fsum(({', '.join(args)},))"
        if expr.is_Mul:
            return "(1.0 * " + " * ".join(args) + ")"  # left to right from 1.0, as evaluate multiplies
        if expr.is_Pow:
            return f"power({args[0]}, {args[1]})"
        rule = expr.value if isinstance(expr, ActivationBase) else FUNCTION_RULES.get(expr.func)
        if rule is None:
            raise EvaluationError(f"no numeric rule for {type(expr).__name__}")
        return f"float({self._entry(rule)}({', '.join(args)}))"

    def _entry(self, item: object) -> str:
        self.table.append(item)
        return f"t[{len(self.table) - 1}]"

    def __call__(self, leaves: Mapping[str, object]) -> SamplePass:
        """The pass at ``leaves``, as :func:`evaluate_sample` gives it without overrides or rounding."""
        numbers = cast(Mapping[str, SupportsFloat], leaves)  # once, not per leaf: train calls this 10⁴ times
        given = {name: float(value) for name, value in numbers.items()}
        nodes, edges, adjoints = self.run([given[name] for name in self.leaves])
        return SamplePass(
            given | dict(zip(self.nodes, nodes, strict=True)),
            dict(zip(self.edges, edges, strict=True)),
            dict(zip(self.names, adjoints, strict=True)),
        )


def _tuple(items: Iterable[str]) -> str:
    """A tuple's Python source, an empty one and one of one item included.

    >>> _tuple([]), _tuple(["v0"]), _tuple(["v0", "v1"])
    ('()', '(v0,)', '(v0, v1,)')
    """
    listed = list(items)
    return "(" + "".join(f"{item}, " for item in listed).rstrip(" ") + ")"


_COMPILED: dict[int, tuple[Mapping, CompiledPass | None]] = {}


def _compiled(exercise: Exercise, local: Mapping[Edge, sympy.Expr]) -> CompiledPass | None:
    """The compiled pass for these local derivatives, kept for the last few; None where one cannot be written."""
    key = id(local)
    cached = _COMPILED.get(key)
    # An exercise moved to another point (a student's variant) shares the equations: the same pass.
    if cached is None or cached[0] is not local or (cached[1] is not None and not _same_pass(cached[1], exercise)):
        try:
            compiled: CompiledPass | None = CompiledPass(exercise, local)
        except (EvaluationError, KeyError, TypeError, ValueError, OverflowError, RecursionError):
            compiled = None  # the tree-walking pass names what it cannot evaluate, and where
        if len(_COMPILED) >= 8:
            _COMPILED.pop(next(iter(_COMPILED)))
        _COMPILED[key] = cached = (local, compiled)
    return cached[1]


def _same_pass(compiled: CompiledPass, exercise: Exercise) -> bool:
    """Whether a compiled pass is this exercise's: the same equations and loss (the point does not matter)."""
    return compiled.exercise.equations is exercise.equations and compiled.exercise.loss == exercise.loss


def evaluate_pass(
    exercise: Exercise,
    local: Mapping[Edge, sympy.Expr],
    point: Mapping[str, object],
    overrides: Overrides | None = None,
    rounding: Callable[[float], float] | None = None,
) -> Pass:
    """Forward and backward pass at ``point`` for every sample, with the loss summed or averaged.

    ``local`` holds ∂child/∂parent per edge (:func:`~symbackprop.engine.local.local_derivatives`);
    ``overrides`` apply to every sample, and an overridden ∂L/∂name replaces the reduced one too.
    """
    overrides = overrides or NO_OVERRIDES
    samples = tuple(
        evaluate_sample(exercise, local, leaves, overrides, rounding) for leaves in exercise.sample_points(point)
    )
    scale = loss_scale(exercise.reduce, len(samples))
    if len(samples) == 1:  # the sum of one value is that value: no fsum per name (train runs this 10⁴ times)
        adjoints = {name: scale * value for name, value in samples[0].adjoints.items()}
    else:
        adjoints = {name: scale * math.fsum(s.adjoints[name] for s in samples) for name in samples[0].adjoints}
    adjoints |= overrides.adjoints
    loss = scale * math.fsum(s.values[exercise.loss] for s in samples)
    return Pass(samples, scale, adjoints, loss)


def single_sample(exercise: Exercise, sample: SamplePass) -> Pass:
    """A pass of one sample at weight 1: a point off the data set, as grading's random points are."""
    return Pass((sample,), 1.0, sample.adjoints, sample.values[exercise.loss])
