"""``check``: every gradient three ways — the symbolic engine, the NumPy evaluator, finite differences.

The three share nothing but the equations: the engine differentiates them symbolically,
:mod:`symbackprop.numeric.evaluator` runs its own reverse pass with its own rules, and finite
differences only evaluate the loss. A verdict is ``ok`` when all three agree.

>>> from symbackprop.exercise.model import load
>>> result = check(load("fx-plus-y-times-z"))
>>> result.ok, result.params["z"].symbolic, result.params["z"].numpy   # ∂f/∂z = x + y = 3
(True, 3.0, 3.0)
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace

from symbackprop.engine.derivation import derive
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.numeric import evaluator as numeric
from symbackprop.numeric.finite_difference import FiniteDifference, finite_difference

# The symbolic and NumPy values are both exact rules evaluated in float64, in different
# orders: they may differ by rounding only, a few ulps per op, far below 1e-9.
ANALYTIC_TOLERANCE = 1e-9
# Central differences carry ≈ ε^(2/3) ≈ 4e-11 of the loss's scale (see finite_difference.FD_STEP),
# more where the loss curves sharply; 1e-5 leaves that five orders of magnitude of room and
# still catches any wrong factor, sign or missing path.
FD_TOLERANCE = 1e-5
# Relative errors are measured against the larger value, but never against less than this
# fraction of the loss's scale: a gradient near 0 is compared by its absolute error, since
# the finite difference's own error does not shrink with the gradient.
SMALL_GRADIENT = 1e-3


@dataclass(frozen=True)
class ParamCheck:
    """One param's gradient three ways, the largest relative disagreement and the verdict."""

    symbolic: float
    numpy: float
    finite_difference: float
    max_rel_error: float
    ok: bool
    # The non-smooth op whose kink lies at the point or within one finite-difference step:
    # there the difference quotient straddles the kink and is not compared (the derivative
    # there is a convention, which symbolic and NumPy both follow).
    kink: str | None = None

    def to_dict(self) -> dict:
        """The JSON of SPEC §3 (plus ``kink``)."""
        return {
            "symbolic": self.symbolic,
            "numpy": self.numpy,
            "finite_difference": self.finite_difference,
            "max_rel_error": self.max_rel_error,
            "ok": self.ok,
            "kink": self.kink,
        }


@dataclass(frozen=True)
class CheckResult:
    """Every param of one exercise checked."""

    id: str
    params: dict[str, ParamCheck]

    @property
    def ok(self) -> bool:
        """True when every param's three values agree."""
        return all(param.ok for param in self.params.values())

    def to_dict(self) -> dict:
        """One entry of ``{"exercises": [...]}`` (SPEC §3)."""
        return {"id": self.id, "ok": self.ok, "params": {name: p.to_dict() for name, p in self.params.items()}}


def relative_error(a: float, b: float, scale: float = 1.0) -> float:
    """|a − b| relative to the larger of |a|, |b| and ``SMALL_GRADIENT``·scale.

    >>> round(relative_error(2.0, 2.002), 6)
    0.000999
    >>> relative_error(0.0, 0.0)
    0.0
    """
    if a == b:
        return 0.0
    return abs(a - b) / max(abs(a), abs(b), SMALL_GRADIENT * scale)


def check(exercise: Exercise, at: Mapping[str, object] | None = None) -> CheckResult:
    """Check every param's gradient at the exercise's point, with ``at``'s values in place of its own
    (name → number or plain-syntax constant), and on its data set if it has one.

    >>> from symbackprop.exercise.model import load
    >>> check(load("fx-plus-y-times-z"), at={"x": 1}).params["z"].symbolic   # ∂f/∂z = x + y = 1 + 5
    6.0
    """
    if at:
        exercise = replace(exercise, point=exercise.at(at))
    if exercise.at() is None:
        raise SymbackpropError(
            "needs a point: give every input and param a value", source=exercise.path or exercise.id, key="at"
        )
    derivation = derive(exercise)
    result = numeric.backprop(exercise)
    scale = max(1.0, abs(result.loss))
    params = {}
    for name in exercise.params:
        symbolic = derivation.gradient(name).value
        assert symbolic is not None  # the exercise has a point, as checked above
        params[name] = _compare(symbolic, result.gradients[name], finite_difference(exercise, name), scale)
    return CheckResult(exercise.id, params)


def _compare(symbolic: float, numpy: float, fd: FiniteDifference, scale: float) -> ParamCheck:
    analytic = relative_error(symbolic, numpy, scale)
    errors = [analytic]
    ok = analytic <= ANALYTIC_TOLERANCE
    if fd.kink is None:
        against_fd = max(relative_error(fd.value, symbolic, scale), relative_error(fd.value, numpy, scale))
        errors.append(against_fd)
        ok = ok and against_fd <= FD_TOLERANCE
    # NaN compares false everywhere: a value that does not exist is never a pass.
    max_error = max(errors)
    ok = ok and max_error == max_error
    return ParamCheck(symbolic, numpy, fd.value, max_error, ok, fd.kink)
