"""The keys of ``[stated]``: a quantity of the exercise's loss, or ∂A/∂B of another node A."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from symbackprop.engine.layer_rules import rule_key
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.exercise.quantities import MAX_STATED_STEP, Quantity, parse_quantity


@dataclass(frozen=True)
class StatedKey:
    """A stated key: a quantity of the exercise's loss, or ∂A/∂B of another node A."""

    quantity: Quantity
    of: str  # the node differentiated (the loss, unless the key says otherwise)

    @property
    def step(self) -> int:
        """The gradient-descent step the key is at."""
        return self.quantity.step


def read_key(key: str, exercise: Exercise) -> StatedKey:
    """A ``[stated]`` key; ``dq/dx`` with q a node other than the loss is ∂q/∂x.

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"})
    >>> read_key("dq/dx", ex).of, read_key("df/dz@1", ex).step
    ('q', 1)
    """
    match = re.match(r"\s*-?\s*d([A-Za-z_]\w*)\s*/", key)
    loss = match.group(1) if match else exercise.loss
    if loss != exercise.loss and loss in exercise.graph.nodes:
        return StatedKey(parse_quantity(key, replace(exercise, loss=loss), MAX_STATED_STEP), loss)
    return StatedKey(parse_quantity(key, exercise, MAX_STATED_STEP), exercise.loss)


def stated_forms(exercise: Exercise) -> dict[str, tuple[str, ...]]:
    """Every stated key with its forms in file order (a key may hold a formula, the numbers put in, the result)."""
    return dict(exercise.stated_forms or {key: (value,) for key, value in exercise.stated.items()})


def read_keys(exercise: Exercise) -> dict[str, StatedKey]:
    """Every stated key read; a key that names nothing is bad input, located in the file."""
    keys = {}
    for key in stated_forms(exercise):
        if rule_key(key) is not None:
            continue  # a layer rule: no quantity of the graph (see symbackprop.auditing.layer_rules)
        try:
            keys[key] = read_key(key, exercise)
        except SymbackpropError as error:
            raise SymbackpropError(error.message, source=exercise.path or exercise.id, key=f"stated.{key}") from None
    return keys
