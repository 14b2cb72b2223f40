"""Diagnoses of a wrong answer: the reference changed by one typical mistake, value by value.

A backprop gradient is a sum over paths of products of local derivatives, so the usual
mistakes are edits of that sum: a path left out, a local factor left out or added, the
sigmoid's derivative σ(1 − σ) written σ, a sign, the ½ of the loss, e⁰ read as e. Each
variant is computed from numbers at the points the answer is checked at (the path values
and edge values of the engine's forward and backward pass), so no variant is ever
simplified symbolically, and the message can name the path or the factor.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import sympy

from symbackprop.core.functions import Sigmoid, Tanh
from symbackprop.engine.derivation import Gradient
from symbackprop.engine.evaluation import Edge, Pass
from symbackprop.exercise.model import Exercise
from symbackprop.render.plain import plain

MAX_PATH_SUBSETS = 6  # up to this many paths every subset may be missing; beyond, one path at a time
MAX_EXTRA_FACTORS = 200

# One word per kind of mistake: the keys of ``diagnoses`` in reports and of ``partial`` credit.
SIGN = "sign"
FACTOR_2 = "factor_2"
MISSING_PATH = "missing_path"
MISSING_FACTOR = "missing_factor"
EXTRA_FACTOR = "extra_factor"
ACTIVATION = "activation_derivative"
E0_AS_E = "e0_as_e"
ROUNDED_EARLY = "rounded_early"
KINDS = (SIGN, FACTOR_2, MISSING_PATH, MISSING_FACTOR, EXTRA_FACTOR, ACTIVATION, E0_AS_E, ROUNDED_EARLY)


@dataclass(frozen=True)
class Variant:
    """The reference with one mistake made: its kinds, a one-line message and its value rule."""

    kinds: tuple[str, ...]
    feedback: str
    value: Callable[[Pass], float]


def _path_edges(nodes: Sequence[str]) -> tuple[Edge, ...]:
    return tuple(zip(nodes[1:], nodes[:-1], strict=True))


def path_text(nodes: Sequence[str]) -> str:
    """A path as the report names it.

    >>> path_text(("w1", "s1", "h1"))
    'w1 → s1 → h1'
    """
    return " → ".join(nodes)


def _path_sum(
    point: Pass,
    paths: Sequence[tuple[Edge, ...]],
    keep: Callable[[int], bool] = lambda i: True,
    change: Callable[[int, Edge, float, Pass], float] | None = None,
) -> float:
    """Σ over kept paths of Π edge values (each possibly changed), summed over the samples."""
    total = []
    for edges in (sample.edges for sample in point.samples):
        for index, path in enumerate(paths):
            if not keep(index):
                continue
            product = 1.0
            for edge in path:
                value = edges[edge]
                product *= change(index, edge, value, point) if change else value
            total.append(product)
    return point.scale * math.fsum(total)


def _activation_slip(exercise: Exercise, edge: Edge) -> tuple[str, Callable[[float, Pass], float]] | None:
    """σ written for σ(1 − σ) (or tanh for 1 − tanh²) on an edge into a sigmoid or tanh node.

    The edge's value is σ′ times the inner derivative, so the slip multiplies it by σ/σ′.
    """
    child = edge[0]
    rhs = exercise.equations.get(child)
    if not isinstance(rhs, (Sigmoid, Tanh)) or len(rhs.args) != 1:
        return None
    if isinstance(rhs, Sigmoid):
        right, ratio = f"{child}*(1 - {child})", lambda h: 1 / (1 - h)
    else:
        right, ratio = f"1 - {child}**2", lambda h: h / (1 - h * h)
    message = f"the derivative of {rhs.name} at {child} is {right}, not {child}"
    return message, lambda value, point: value * ratio(point.values[child])


def gradient_variants(exercise: Exercise, gradient: Gradient, *, negated: bool, numeric: bool) -> list[Variant]:
    """The reference ∂L/∂P with each typical mistake made once (and each also with the sign flipped)."""
    sign = -1.0 if negated else 1.0
    paths = [_path_edges(path.nodes) for path in gradient.paths]
    complete = gradient.paths_omitted == 0 and bool(paths)

    def reference(point: Pass) -> float:
        return sign * point.adjoints[gradient.wrt]

    found = [
        Variant((SIGN,), "the sign is flipped", lambda p: -reference(p)),
        Variant((FACTOR_2,), "off by a factor of 2 (the ½ in the loss?)", lambda p: 2 * reference(p)),
        Variant((FACTOR_2,), "off by a factor of ½ (the ½ in the loss?)", lambda p: reference(p) / 2),
    ]
    if complete:
        found += _path_variants(gradient, paths, sign)
        found += _factor_variants(exercise, gradient, paths, sign, numeric)
    found += _extra_variants(exercise, gradient, reference)
    flipped = [
        Variant((SIGN, *v.kinds), f"{v.feedback}, and the sign is flipped", lambda p, v=v: -v.value(p))
        for v in found
        if SIGN not in v.kinds and FACTOR_2 not in v.kinds
    ]
    return found + flipped


def _path_variants(gradient: Gradient, paths, sign: float) -> list[Variant]:
    count = len(paths)
    if count < 2:
        return []
    sizes = range(1, count) if count <= MAX_PATH_SUBSETS else [1]
    found = []
    for size in sizes:
        for missing in itertools.combinations(range(count), size):
            names = "; ".join(path_text(gradient.paths[i].nodes) for i in missing)
            word = "path" if size == 1 else "paths"
            found.append(
                Variant(
                    (MISSING_PATH,),
                    f"missing the {word} {names}",
                    lambda p, m=frozenset(missing): sign * _path_sum(p, paths, lambda index, m=m: index not in m),
                )
            )
    return found


def _factor_variants(exercise: Exercise, gradient: Gradient, paths, sign: float, numeric: bool) -> list[Variant]:
    local = gradient.derivation.local
    found = []
    edges = list(dict.fromkeys(edge for path in paths for edge in path))
    for edge in edges:
        factor = local[edge]
        if factor == 1 or factor == -1:
            continue  # leaving out a factor of ±1 changes nothing (or is the sign)
        label = f"∂{edge[0]}/∂{edge[1]} = {plain(factor)}"
        found.append(
            Variant(
                (MISSING_FACTOR,),
                f"the local factor {label} is missing",
                lambda p, e=edge: sign * _path_sum(p, paths, change=lambda i, x, v, q, e=e: 1.0 if x == e else v),
            )
        )
        slip = _activation_slip(exercise, edge)
        if slip:
            message, wrong = slip
            found.append(
                Variant(
                    (ACTIVATION,),
                    message,
                    lambda p, e=edge, w=wrong: (
                        sign * _path_sum(p, paths, change=lambda i, x, v, q, e=e: w(v, q) if x == e else v)
                    ),
                )
            )
        if numeric and factor.has(sympy.exp):
            found.append(
                Variant(
                    (E0_AS_E,),
                    f"e⁰ taken as e in {label}",
                    lambda p, e=edge: (
                        sign * _path_sum(p, paths, change=lambda i, x, v, q, e=e: math.e if x == e and v == 1.0 else v)
                    ),
                )
            )
    if numeric and any(local[edge].has(sympy.exp) for edge in edges):
        found.append(
            Variant(
                (E0_AS_E,),
                "e⁰ taken as e",
                lambda p: (
                    sign
                    * _path_sum(
                        p, paths, change=lambda i, x, v, q: math.e if v == 1.0 and local[x].has(sympy.exp) else v
                    )
                ),
            )
        )
    return found


def _extra_variants(exercise: Exercise, gradient: Gradient, reference) -> list[Variant]:
    """A spurious factor: any name of the graph, or the local derivative of an edge off the paths."""
    found = []
    for name in exercise.graph.names:
        if name == exercise.loss:
            continue
        found.append(
            Variant((EXTRA_FACTOR,), f"a spurious factor {name}", lambda p, n=name: reference(p) * p.values[n])
        )
    for edge, factor in list(gradient.derivation.local.items())[:MAX_EXTRA_FACTORS]:
        if factor.is_Symbol or factor.is_number:
            continue  # a name is covered above; a number is a factor-of-k slip
        found.append(
            Variant(
                (EXTRA_FACTOR,),
                f"a spurious factor {plain(factor)} (∂{edge[0]}/∂{edge[1]})",
                lambda p, e=edge: reference(p) * p.edges[e],
            )
        )
    return found


def value_variants(name: str) -> list[Variant]:
    """A node or param value with its sign flipped or doubled or halved."""
    return [
        Variant((SIGN,), "the sign is flipped", lambda p: -p.values[name]),
        Variant((FACTOR_2,), "off by a factor of 2", lambda p: 2 * p.values[name]),
        Variant((FACTOR_2,), "off by a factor of ½", lambda p: p.values[name] / 2),
    ]


def significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant figures.

    >>> significant(0.0123456, 3), significant(-731.9, 2)
    (0.0123, -730.0)
    """
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))
