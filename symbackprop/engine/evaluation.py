"""The chain rule's numbers at a point: one forward and one backward pass per sample.

This is the only numeric pass on the symbolic side. derive, train, audit and grading all
evaluate through it: the audit with a lecture's rounded numbers put in (:class:`Overrides`),
grading with every node value rounded the way a student who rounds too early computes.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import SupportsFloat, cast

import sympy

from symbackprop.core.values import evaluate
from symbackprop.engine.local import Edge
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise, loss_scale


@dataclass(frozen=True)
class Overrides:
    """Values to use instead of the computed ones: how a lecture carries its rounded numbers on."""

    values: Mapping[str, float] = field(default_factory=dict)  # node (or leaf) values
    locals: Mapping[Edge, float] = field(default_factory=dict)  # ∂child/∂parent, keyed (child, parent)
    adjoints: Mapping[str, float] = field(default_factory=dict)  # ∂L/∂name


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
    overrides = overrides or Overrides()
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
    overrides = overrides or Overrides()
    samples = tuple(
        evaluate_sample(exercise, local, leaves, overrides, rounding) for leaves in exercise.sample_points(point)
    )
    scale = loss_scale(exercise.reduce, len(samples))
    adjoints = {name: scale * math.fsum(s.adjoints[name] for s in samples) for name in samples[0].adjoints}
    adjoints |= overrides.adjoints
    loss = scale * math.fsum(s.values[exercise.loss] for s in samples)
    return Pass(samples, scale, adjoints, loss)


def single_sample(exercise: Exercise, sample: SamplePass) -> Pass:
    """A pass of one sample at weight 1: a point off the data set, as grading's random points are."""
    return Pass((sample,), 1.0, sample.adjoints, sample.values[exercise.loss])
