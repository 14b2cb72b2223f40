"""Central finite differences: the third witness, which knows no derivative rule at all.

>>> from symbackprop.exercise.model import load
>>> round(finite_difference(load("fx-plus-y-times-z"), "z").value, 6)   # ∂f/∂z = x + y = 3
3.0
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.numeric.evaluator import batch, evaluate, loss_of
from symbackprop.numeric.tape import tape_of

# Central differences err by h²·|L‴|/6 (truncation) plus about ε·|L|/h (rounding of the two
# losses); the sum is smallest at h ≈ ε^(1/3) ≈ 6e-6 for float64, where both are ≈ ε^(2/3) ≈ 4e-11
# relative to the loss's scale. Scaled by |p| so that the step stays representable for large p.
FD_STEP = float(np.finfo(np.float64).eps) ** (1 / 3)


@dataclass(frozen=True)
class FiniteDifference:
    """A central difference for one param, and why it cannot be trusted, if it cannot."""

    value: float
    kink: str | None  # the op whose kink lies at or within one step of the point, or None


def finite_difference(
    exercise: Exercise,
    param: str,
    inputs: Mapping[str, object] | None = None,
    params: Mapping[str, float] | None = None,
    *,
    reduce: str | None = None,
) -> FiniteDifference:
    """(L(p + h) − L(p − h))/2h with h = ε^(1/3)·max(1, |p|), and any kink that spoils it."""
    leaves, _ = batch(exercise, inputs, params)
    if param not in leaves:
        return FiniteDifference(0.0, None)  # no equation uses it: the loss does not move
    if isinstance(leaves[param], np.ndarray):
        raise SymbackpropError(f"{param!r} has one value per sample; finite differences need a param", key=param)
    p = float(leaves[param])
    step = FD_STEP * max(1.0, abs(p))
    # Make p ± h exact in binary, so that the division by 2h uses the step actually taken.
    step = (p + step) - p
    down, center, up = (
        _evaluated(exercise, inputs, {**(params or {}), param: value}, reduce) for value in (p - step, p, p + step)
    )
    return FiniteDifference((up.loss - down.loss) / (2.0 * step), _kink(exercise, param, center, up, down))


@dataclass(frozen=True)
class _Evaluated:
    """The loss at one point, and on which side of its kink each sample lies for each kinked op (0: at it)."""

    loss: float
    sides: dict[int, np.ndarray]


def _evaluated(exercise: Exercise, inputs, params, reduce) -> _Evaluated:
    tape, values, samples = evaluate(exercise, inputs, params)
    with np.errstate(all="ignore"):
        sides = {
            index: np.asarray(node.rule.kink(*[values[a] for a in node.args]))
            for index, node in enumerate(tape.nodes)
            if node.rule is not None and node.rule.kink is not None
        }
    return _Evaluated(loss_of(exercise, values, samples, reduce), sides)


def _kink(exercise: Exercise, param: str, center: _Evaluated, up: _Evaluated, down: _Evaluated) -> str | None:
    """The first op that ``param`` moves whose kink lies at the point or between p − h and p + h."""
    tape = tape_of(exercise)
    moved = tape.depends.get(param, frozenset())
    for index, here in center.sides.items():
        if index in moved and (
            np.any(here == 0) or np.any(up.sides[index] != here) or np.any(down.sides[index] != here)
        ):
            return str(tape.nodes[index].expr)
    return None
