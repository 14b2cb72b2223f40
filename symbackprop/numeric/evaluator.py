"""An independent NumPy backpropagation engine: a batch of samples forward, then one reverse pass.

It exists to check the symbolic engine, so it shares none of its derivatives: the equations
are compiled once into a tape (:mod:`symbackprop.numeric.tape`), run forward on arrays (one
value per sample, a block of samples at a time), then backward with the evaluator's own
local derivatives (:mod:`symbackprop.numeric.rules`): each node's gradient times each local
derivative, summed over the paths into every argument. Nothing here calls SymPy's
``diff``/``fdiff`` or the engine.

>>> from symbackprop.exercise.model import from_equations
>>> ex = from_equations({"s": "w*x", "E": "(t - sigmoid(s))**2/2"}, params=["w"], at={"w": 0.0, "t": 1.0, "x": 1.0})
>>> gradients(ex)  # −(t − σ)·σ(1 − σ)·x at σ = ½
{'w': -0.125}
>>> gradients(ex, inputs={"x": [1.0, 2.0], "t": [1.0, 1.0]}, reduce="mean")   # (−0.125 − 0.25)/2
{'w': -0.1875}
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from symbackprop.core.activation import Array, Conventions
from symbackprop.errors import EvaluationError, SymbackpropError
from symbackprop.exercise.model import REDUCTIONS, Exercise, loss_scale
from symbackprop.numeric.rules import RULES, Rule
from symbackprop.numeric.tape import Tape, compile_tape, tape_of

__all__ = [
    "BLOCK",
    "RULES",
    "Backprop",
    "Rule",
    "backprop",
    "compile_tape",
    "forward",
    "gradients",
    "loss",
    "loss_of",
    "tape_of",
]

# Samples per block: a batch is worked a block at a time, so that its arrays (a few per tape
# node) take a bounded amount of memory however large the batch.
BLOCK = 100_000


@dataclass(frozen=True)
class Backprop:
    """One forward and backward pass over a batch."""

    loss: float  # summed or averaged over the samples
    gradients: dict[str, float]  # ∂loss/∂P for each P asked for
    samples: int


# ---------------------------------------------------------------------------------------------
# The public calls.
# ---------------------------------------------------------------------------------------------


def backprop(
    exercise: Exercise,
    inputs: Mapping[str, object] | None = None,
    params: Mapping[str, float] | None = None,
    *,
    wrt: Sequence[str] | None = None,
    reduce: str | None = None,
) -> Backprop:
    """Forward and backward over a batch: ``inputs`` map names to arrays, one value per sample.

    Inputs and params not given take the exercise's ``[at]``/``[data]`` values; ``reduce``
    ("sum" or "mean") defaults to the exercise's. The batch is worked in blocks of
    :data:`BLOCK` samples.
    """
    tape = tape_of(exercise)
    leaves, samples = batch(exercise, inputs, params)
    scale = _scale(reduce or exercise.reduce, samples)
    wrt = tuple(exercise.params if wrt is None else wrt)
    for name in wrt:
        if name not in exercise.graph.leaves and name not in exercise.params:
            raise SymbackpropError(f"{name!r} is not an input or param of {exercise.id}", key="wrt")
    wanted = frozenset().union(*(tape.depends.get(name, frozenset()) for name in wrt))
    losses: list[float] = []
    found: dict[str, list[float]] = {name: [] for name in wrt}
    for start in range(0, samples, BLOCK):
        block = {name: value[start : start + BLOCK] if _batched(value) else value for name, value in leaves.items()}
        size = min(BLOCK, samples - start)
        values = _forward(tape, block)
        losses.append(_loss_total(exercise, tape, values, scale, size, first=start))
        # The seed: each sample's weight in the loss; a loss shared by every sample takes them all at once.
        seed = scale if _batched(values[tape.loss]) else scale * size
        adjoints = _backward(tape, values, wanted, seed, exercise.conventions, size)
        for name in wrt:
            found[name].append(_gradient(adjoints, tape, name, size if _batched(block.get(name)) else 1))
    return Backprop(math.fsum(losses), {name: math.fsum(parts) for name, parts in found.items()}, samples)


def gradients(
    exercise: Exercise,
    inputs: Mapping[str, object] | None = None,
    params: Mapping[str, float] | None = None,
    *,
    reduce: str | None = None,
) -> dict[str, float]:
    """∂loss/∂P for every param, the loss summed or averaged over the batch in ``inputs``."""
    return backprop(exercise, inputs, params, reduce=reduce).gradients


def loss(
    exercise: Exercise,
    inputs: Mapping[str, object] | None = None,
    params: Mapping[str, float] | None = None,
    *,
    reduce: str | None = None,
) -> float:
    """The loss alone (forward only), summed or averaged over the batch."""
    _, values, samples = evaluate(exercise, inputs, params)
    return loss_of(exercise, values, samples, reduce)


def loss_of(exercise: Exercise, values: Sequence[Array], samples: int, reduce: str | None = None) -> float:
    """The loss over a batch of ``samples`` from every node's value there (see :func:`evaluate`)."""
    scale = _scale(reduce or exercise.reduce, samples)
    return _loss_total(exercise, tape_of(exercise), values, scale, samples)


def forward(
    exercise: Exercise, inputs: Mapping[str, object] | None = None, params: Mapping[str, float] | None = None
) -> dict[str, Array]:
    """Every name's value over the batch: an array per sample, or a float when all samples share it.

    >>> from symbackprop.exercise.model import load
    >>> float(forward(load("fx-plus-y-times-z"))["q"])   # q = x + y at x = −2, y = 5
    3.0
    """
    tape, values, _ = evaluate(exercise, inputs, params)
    # Copies: a value may be an input's own array, or the exercise's [data].
    return {
        name: np.copy(values[index]) if _batched(values[index]) else values[index] for name, index in tape.names.items()
    }


def evaluate(
    exercise: Exercise, inputs: Mapping[str, object] | None = None, params: Mapping[str, float] | None = None
) -> tuple[Tape, list[Array], int]:
    """The tape, every node's value over the whole batch and the number of samples.

    A value that does not exist (an overflow, a log of a negative number) is an error naming its node.
    """
    tape = tape_of(exercise)
    leaves, samples = batch(exercise, inputs, params)
    values = _forward(tape, leaves)
    _check_finite(exercise, tape, values)
    return tape, values, samples


# ---------------------------------------------------------------------------------------------
# Forward and backward over the tape.
# ---------------------------------------------------------------------------------------------


def _forward(tape: Tape, leaves: Mapping[str, Array]) -> list[Array]:
    """Every node's value, front to back."""
    values: list[Array] = []
    with np.errstate(all="ignore"):  # a value that does not exist is reported by name (_check_finite)
        for node in tape.nodes:
            if node.leaf is not None:
                values.append(leaves[node.leaf])
            elif node.rule is None:
                values.append(node.constant)
            else:
                value = node.rule.forward(*[values[a] for a in node.args])
                # A value shared by every sample stays a float (np.where gives 0-d arrays).
                values.append(value if _batched(value) else float(value))
    return values


def _backward(
    tape: Tape, values: Sequence[Array], wanted: frozenset[int], seed: float, conv: Conventions, samples: int
) -> list:
    """∂loss/∂node for every node the loss depends on and that depends on a node in ``wanted``.

    A node with one value per sample gets its gradient per sample (a float: the same for every
    sample); a node shared by every sample (a param, a constant) gets it summed over the batch.
    """
    adjoints: list = [None] * len(tape.nodes)
    adjoints[tape.loss] = seed
    with np.errstate(all="ignore"):
        for index in range(tape.loss, -1, -1):
            node, g = tape.nodes[index], adjoints[index]
            if g is None or node.rule is None:
                continue
            args = [values[a] for a in node.args]
            per_sample = _batched(values[index])
            for i, a in enumerate(node.args):
                if a in wanted:
                    local = node.rule.local(values[index], args, i, conv)
                    if per_sample and not _batched(values[a]):
                        grad = _summed(g, local, samples)  # a param of a per-sample node: Σ over the batch
                    else:
                        grad = g if isinstance(local, float) and local == 1.0 else g * local
                    adjoints[a] = grad if adjoints[a] is None else adjoints[a] + grad
            adjoints[index] = None  # passed on in full; only the leaves' are read afterwards
    return adjoints


def _summed(g: Array, local: Array, samples: int) -> float:
    """Σ_samples g·local: the gradient an argument shared by every sample receives from a per-sample node."""
    if _batched(g) and _batched(local):
        return float(np.dot(g, local))  # without the product array
    return _total(g * local, samples)


def _gradient(adjoints: Sequence, tape: Tape, name: str, samples: int) -> float:
    """∂loss/∂name: a param's total, or for an input with a value per each of ``samples``, their sum."""
    adjoint = adjoints[tape.names[name]] if name in tape.names else None
    if adjoint is None:
        return 0.0  # the name does not reach the loss
    return _total(adjoint, samples)


def _total(value: Array, samples: int) -> float:
    """Σ over the batch of ``samples``: an array's sum, or a value shared by every sample times their number."""
    return float(np.sum(value)) if _batched(value) else float(value) * samples


def _batched(value: object) -> bool:
    return isinstance(value, np.ndarray) and value.ndim > 0


# ---------------------------------------------------------------------------------------------
# The batch, the loss and its errors.
# ---------------------------------------------------------------------------------------------


def batch(exercise: Exercise, inputs, params) -> tuple[dict[str, Array], int]:
    """Leaf values (an array per input with one value per sample) and the number of samples.

    The exercise's point and data, overridden by ``inputs`` and ``params``.
    """
    leaves = dict(_own_leaves(exercise))
    for name, value in {**(inputs or {}), **(params or {})}.items():
        if name not in exercise.graph.leaves:
            raise SymbackpropError(f"{name!r} is not an input or param of {exercise.id}", key=name)
        array = np.asarray(value, dtype=np.float64)
        if array.ndim > 1:
            raise SymbackpropError(f"expected one value per sample, got shape {array.shape}", key=name)
        leaves[name] = float(array) if array.ndim == 0 else array
    missing = [name for name in exercise.graph.leaves if name not in leaves]
    if missing:
        raise SymbackpropError(f"no value for {', '.join(missing)}", source=exercise.path or exercise.id)
    sizes = {name: len(value) for name, value in leaves.items() if isinstance(value, np.ndarray)}
    if len(set(sizes.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in sizes.items())
        raise SymbackpropError(f"every input needs one value per sample ({listed})", source=exercise.path)
    return leaves, next(iter(sizes.values()), 1)


def _own_leaves(exercise: Exercise) -> dict[str, Array]:
    """The exercise's ``[at]`` and ``[data]`` values as floats and arrays, converted from SymPy once."""
    # Kept on the exercise like its tape (see tape_of). The arrays are read-only: the engine
    # only reads its leaves, and forward() returns copies.
    own = exercise.__dict__.get("_numeric_leaves")
    if own is None:
        own = {name: float(value) for name, value in (exercise.point or {}).items()}
        for name, values in exercise.data.items():
            own[name] = np.array([float(v) for v in values])
            own[name].flags.writeable = False
        exercise.__dict__["_numeric_leaves"] = own
    return own


def _scale(reduce: str, samples: int) -> float:
    """Each sample's weight in the loss for ``reduce``; a reduction other than sum or mean is bad input."""
    if reduce not in REDUCTIONS:
        raise SymbackpropError(f'expected "sum" or "mean", not {reduce!r}', key="reduce")
    return loss_scale(reduce, samples)


def _loss_total(
    exercise: Exercise, tape: Tape, values: Sequence[Array], scale: float, samples: int, first: int = 0
) -> float:
    """The loss over these samples, weighted by ``scale``; a loss with no finite value is an error saying why."""
    value = values[tape.loss]
    with np.errstate(all="ignore"):  # an overflow is reported below, by name
        total = scale * _total(value, samples)
    if not math.isfinite(total):  # NaN and inf flow on into the summed loss
        _check_finite(exercise, tape, values, first)
        raise EvaluationError(
            f"{exercise.loss} is finite for every sample but its total over the batch is not",
            source=exercise.path or exercise.id,
            key=f"graph.{exercise.loss}",
        )
    return total


def _check_finite(exercise: Exercise, tape: Tape, values: Sequence[Array], first: int = 0) -> None:
    # NaN and inf flow on to the loss, so one test of the loss finds them; only then is every
    # node looked at, to name the first that has no value.
    if np.all(np.isfinite(values[tape.loss])):
        return
    for node in exercise.equations:
        value = np.atleast_1d(values[tape.names[node]])
        if not np.all(np.isfinite(value)):
            sample = first + int(np.flatnonzero(~np.isfinite(value))[0]) + 1
            raise EvaluationError(
                f"{node} has no finite value (sample {sample})",
                source=exercise.path or exercise.id,
                key=f"graph.{node}",
            )
