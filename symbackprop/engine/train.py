"""Gradient descent as the lectures work it: w_{k+1} = w_k − η·∂L/∂w at w_k, one row per step.

Every step is the engine's own forward and backward pass at the current params, so the
table shows exactly the numbers ``derive`` would give there.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from symbackprop.engine.evaluation import NO_OVERRIDES, Overrides, Pass, evaluate_pass
from symbackprop.engine.local import local_derivatives
from symbackprop.errors import SymbackpropError, is_finite_number
from symbackprop.exercise.model import Exercise


@dataclass(frozen=True)
class TrainStep:
    """The values after ``step`` updates (step 0 is the ``[at]`` point).

    With ``[data]``, ``nodes`` are the first sample's values; ``loss`` and ``gradients`` are
    the summed or averaged ones the update uses.
    """

    step: int
    params: dict[str, float]
    nodes: dict[str, float]
    loss: float
    gradients: dict[str, float]


MAX_STEPS = 10_000  # each step is a forward and backward pass: a table, not a training run


def settings(exercise: Exercise, lr: float | None, steps: int | None) -> tuple[float, int]:
    """The learning rate and step count: as given, else the exercise's ``[train]`` table.

    >>> from symbackprop.exercise.model import from_equations
    >>> settings(from_equations({"L": "w**2"}, train={"lr": 0.1, "steps": 2}), None, 5)
    (0.1, 5)
    """
    # An error names where the value came from: the option, or the file's [train] table.
    source = exercise.path or exercise.id
    lr_where = {"key": "--lr"} if lr is not None else {"key": "train.lr", "source": source}
    steps_where = {"key": "--steps"} if steps is not None else {"key": "train.steps", "source": source}
    lr = exercise.train.get("lr") if lr is None else lr
    steps = exercise.train.get("steps", 1) if steps is None else steps
    if lr is None:
        raise SymbackpropError(f"{exercise.id} has no [train] lr; give --lr", key="--lr")
    if not (is_finite_number(lr) and lr > 0):
        raise SymbackpropError(f"the learning rate must be a positive finite number, not {lr!r}", **lr_where)
    if isinstance(steps, bool) or not isinstance(steps, int) or not 0 <= steps <= MAX_STEPS:
        message = f"the number of steps must be a whole number from 0 to {MAX_STEPS}, not {steps!r}"
        raise SymbackpropError(message, **steps_where)
    return float(lr), steps


def passes(
    exercise: Exercise,
    lr: float,
    steps: int,
    overrides: dict[int, Overrides] | None = None,
    local: dict | None = None,
) -> list[tuple[dict[str, float], Pass]]:
    """The point and the numeric pass at every step; ``overrides[k]`` replace values at step k.

    An override of a param at step k (a lecture's rounded w₁) is the value step k starts from.
    ``local`` is the edges' local derivatives when the caller already has them.
    """
    return list(stepped_passes(exercise, lr, steps, overrides, local))


def stepped_passes(
    exercise: Exercise,
    lr: float,
    steps: int,
    overrides: dict[int, Overrides] | None = None,
    local: dict | None = None,
) -> Iterator[tuple[dict[str, float], Pass]]:
    """:func:`passes` one step at a time, each as soon as it is computed (``train`` streams them)."""
    point = exercise.at()
    if point is None:
        raise SymbackpropError(f"{exercise.id} has no point to start from", key="at")
    local = local if local is not None else local_derivatives(exercise)
    current = {name: float(value) for name, value in point.items()}
    params = set(exercise.params)
    for step in range(steps + 1):
        extra = (overrides or {}).get(step, NO_OVERRIDES)
        current |= {name: value for name, value in extra.values.items() if name in current}
        result = evaluate_pass(exercise, local, current, extra)
        yield dict(current), result
        current = {
            name: value - lr * result.adjoints.get(name, 0.0) if name in params else value
            for name, value in current.items()
        }


def train(exercise: Exercise, *, lr: float | None = None, steps: int | None = None) -> list[TrainStep]:
    """``steps`` updates of gradient descent from the ``[at]`` point: ``steps + 1`` rows.

    >>> from symbackprop.exercise.model import from_equations
    >>> rows = train(from_equations({"L": "w**2 - 2*w + 2"}, at={"w": 3}), lr=0.1, steps=2)
    >>> [round(row.params["w"], 6) for row in rows], [round(row.loss, 6) for row in rows]
    ([3.0, 2.6, 2.28], [5.0, 3.56, 2.6384])
    """
    return list(training(exercise, lr=lr, steps=steps))


def training(exercise: Exercise, *, lr: float | None = None, steps: int | None = None) -> Iterator[TrainStep]:
    """:func:`train`'s rows one at a time, each as soon as its pass is done."""
    lr, steps = settings(exercise, lr, steps)
    params, nodes = exercise.params, exercise.graph.nodes
    for step, (point, result) in enumerate(stepped_passes(exercise, lr, steps)):
        yield TrainStep(
            step=step,
            params={name: point[name] for name in params if name in point},
            nodes={name: result.values[name] for name in nodes},
            loss=result.loss,
            gradients={name: result.adjoints.get(name, 0.0) for name in params},
        )


def step_dict(row: TrainStep) -> dict:
    """One step of ``train --json`` (SPEC §3): the values after ``step`` updates."""
    return {"step": row.step, "params": row.params, "nodes": row.nodes, "loss": row.loss, "gradients": row.gradients}
