"""Quantity keys (SPEC §2): ``h1``, ``dE/dw2``, ``-dE/dnet1_1`` (δ notation), each with ``@k``.

The same keys name what a lecture states (``[stated]``), what an answers file answers and
what a ``[questions]`` entry asks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise

# Matched against the stripped key, with no two runs of spaces side by side: a student's key
# of 150 000 spaces must not take the parser quadratic time.
_KEY = re.compile(
    r"""(?P<minus>-)?\s*
    (?:d(?P<loss>[A-Za-z_]\w*)\s*/\s*d(?P<wrt>[A-Za-z_]\w*)|(?P<name>[A-Za-z_]\w*))
    (?:\s*@\s*(?P<step>\d+))?\Z""",
    re.VERBOSE,
)
MAX_KEY_LENGTH = 200
# A key an answers file gives is hostile input: each step it names is a run of gradient descent.
MAX_STEP = 100
# The exercise file is the lecturer's own: its [stated] keys reach as far as `train` goes
# (engine.train.MAX_STEPS; the engine sits above this package, so the number is repeated).
MAX_STATED_STEP = 10_000


@dataclass(frozen=True)
class Quantity:
    """What a key names: the value of ``name``, or the gradient of the loss with respect to it."""

    key: str
    name: str
    gradient: bool
    negated: bool = False  # −dL/dX: the lecture's δ = −∂L/∂net
    step: int = 0  # gradient-descent step; 0 is the [at] point

    @property
    def identity(self) -> tuple[str, bool, bool, int]:
        """What the key names, however it is spelled: ``w4@1``, ``w4 @ 01`` and a question asking it are one."""
        return (self.name, self.gradient, self.negated, self.step)

    @property
    def label(self) -> str:
        """The key without its step: ``dE/dw2`` for ``dE/dw2@1``."""
        return self.key.split("@")[0].strip()


def parse_quantity(key: str, exercise: Exercise, max_step: int = MAX_STEP) -> Quantity:
    """Read a quantity key against an exercise; an unknown name or wrong loss is bad input.

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"})
    >>> parse_quantity("df/dx@2", ex)
    Quantity(key='df/dx@2', name='x', gradient=True, negated=False, step=2)
    >>> parse_quantity("-df/dq", ex).negated
    True
    """
    if len(key) > MAX_KEY_LENGTH:
        raise SymbackpropError(f"too long for a quantity key ({len(key)} characters)", key=key[:40] + "…")
    match = _KEY.match(key.strip())
    if match is None:
        raise SymbackpropError(
            "not a quantity key (a name like h1, or dL/dX, or -dL/dX, each optionally @step)", key=key
        )
    graph = exercise.graph
    step = int(match["step"] or 0)
    if step > max_step:
        raise SymbackpropError(f"step {step} is past the last one a key may name ({max_step})", key=key)
    if match["name"]:
        if match["minus"]:
            raise SymbackpropError("a value cannot be negated; write -dL/dX for δ", key=key)
        if match["name"] not in graph.names:
            raise SymbackpropError(f"{match['name']!r} is not a name of {exercise.id}", key=key)
        return Quantity(key, match["name"], gradient=False, step=step)
    if match["loss"] != exercise.loss:
        raise SymbackpropError(f"the loss of {exercise.id} is {exercise.loss}, not {match['loss']}", key=key)
    if match["wrt"] not in graph.names or match["wrt"] == exercise.loss:
        raise SymbackpropError(f"{match['wrt']!r} is not a name of {exercise.id} other than the loss", key=key)
    return Quantity(key, match["wrt"], gradient=True, negated=bool(match["minus"]), step=step)
