"""Whether a formula is the reference: the same values at the exercise's point and random points near it.

Two formulas of a graph are compared by value, not by ``simplify``: at the exercise's point
and at seeded random points near it, every node name takes its value from the engine's
pass there, so ``h3``, ``sigmoid(s3)`` and the closed form are one formula. The points are
grading's: near the point the exercise is about, a ReLU is on the branch the lecture is
on and a logarithm's argument is positive, which a fixed box of random values does not
promise; and the seed is the exercise's id through CRC-32, the same in every run and
process (``hash`` of a string is not).
"""

from __future__ import annotations

import math
import random
import zlib
from collections.abc import Collection, Mapping, Sequence
from typing import SupportsFloat, cast

import sympy

from symbackprop.core.values import evaluate
from symbackprop.engine.evaluation import Edge, Pass, evaluate_sample, single_sample
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise

RANDOM_POINTS = 4  # beside the exercise's own point
CANDIDATES_PER_POINT = 5  # random points tried per one kept (the graph may have no value at some)
AGREE = 1e-8  # relative: the same expression evaluated two ways
DIFFER = 1e-5  # relative: certainly a different expression


def within_absolute(a: float, b: float, tolerance: float) -> bool:
    """Whether ``a`` and ``b`` differ by at most ``tolerance`` (and a float's noise).

    >>> within_absolute(0.0406, 0.04064, 5e-05), within_absolute(0.0406, 0.0407, 5e-05)
    (True, False)
    """
    return abs(a - b) <= tolerance + 1e-9 * max(1.0, abs(a), abs(b))


def within_relative(a: float, b: float, relative: float) -> bool:
    """Whether ``a`` and ``b`` differ by at most ``relative`` times the larger of them.

    >>> within_relative(1000.0, 1000.5, 1e-3), within_relative(1e-6, 2e-6, 1e-3)
    (True, False)
    """
    return abs(a - b) <= relative * max(abs(a), abs(b)) + 1e-12


def comparison_points(
    exercise: Exercise, local: Mapping[Edge, sympy.Expr], count: int = RANDOM_POINTS, *, fixed: Collection[str] = ()
) -> list[Pass]:
    """The exercise's point and ``count`` seeded random points near it (one sample each).

    The exercise's point comes first; an :class:`EvaluationError` when the graph has no value there.

    The leaves named in ``fixed`` keep their value at the point (to tell which of them an
    answer right only at the point relies on).

    >>> from symbackprop.engine.local import local_derivatives
    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    >>> points = comparison_points(ex, local_derivatives(ex))
    >>> len(points), points[0].values["q"]
    (5, 3.0)
    """
    base = exercise.sample_points(exercise.at() or {})[0] if exercise.at() is not None else {}
    leaves = {name: float(cast(SupportsFloat, base.get(name, 0.5))) for name in exercise.graph.leaves}
    rng = random.Random(zlib.crc32(exercise.id.encode()))  # the same points every run: the same report
    candidates = [leaves] + [
        {
            name: value if name in fixed else value + shift * (0.5 + 0.5 * abs(value))
            for (name, value), shift in zip(leaves.items(), [rng.random() - 0.5 for _ in leaves], strict=True)
        }
        for _ in range(count * CANDIDATES_PER_POINT)
    ]
    points: list[Pass] = []
    if exercise.at() is not None:
        # Answers are judged at the exercise's own point first: a point where the graph has
        # no value is the exercise's error (as derive says), never a silent move elsewhere.
        points.append(single_sample(exercise, evaluate_sample(exercise, local, leaves)))
        candidates = candidates[1:]
    for candidate in candidates:
        try:
            points.append(single_sample(exercise, evaluate_sample(exercise, local, candidate)))
        except (SymbackpropError, ArithmeticError, ValueError, TypeError):
            continue  # a point where the graph has no value (log of a negative)
        if len(points) > count:
            break
    return points


def value_at(expr: sympy.Expr, point: Pass, symbols: Mapping[str, sympy.Symbol]) -> float | None:
    """``expr`` at a point, its names taking their values there; None where it has no finite value."""
    env = {symbols[name]: value for name, value in point.values.items() if name in symbols}
    try:
        value = evaluate(expr, env)
    except (SymbackpropError, ArithmeticError, ValueError, TypeError, KeyError, RecursionError):
        return None
    return value if math.isfinite(value) else None


def values_at(expr: sympy.Expr, points: Sequence[Pass], symbols: Mapping[str, sympy.Symbol]) -> list[float | None]:
    """``expr`` at each point (None where it has no value)."""
    return [value_at(expr, point, symbols) for point in points]


def same_values(got: Sequence[float | None], want: Sequence[float | None]) -> bool | None:
    """Whether two lists of values agree wherever both have one; None when they have none in common.

    >>> same_values([1.0, None, 3.0], [1.0, 2.0, 3.0 + 1e-12]), same_values([1.0], [1.5]), same_values([None], [1.0])
    (True, False, None)
    """
    pairs = [(g, w) for g, w in zip(got, want, strict=True) if g is not None and w is not None]
    if not pairs:
        return None
    return all(within_relative(g, w, AGREE) for g, w in pairs)


def certainly_different(got: Sequence[float | None], want: Sequence[float | None]) -> bool:
    """Whether the values differ somewhere by more than evaluation could explain (else SymPy may decide)."""
    return any(
        not within_relative(g, w, DIFFER) for g, w in zip(got, want, strict=True) if g is not None and w is not None
    )
