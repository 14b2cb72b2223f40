"""An independent NumPy backpropagation engine: a batch of samples forward, then one reverse pass.

It exists to check the symbolic engine, so it shares none of its derivatives: the equations'
right sides are compiled once into a tape of primitive ops (one entry per distinct
sub-expression, named equations linked by their symbols), run forward on arrays (one value
per sample at every entry, a block of samples at a time), then backward with its own table
of local-derivative rules,
:data:`RULES`, one entry per op, micrograd- and tinygrad-style. An op with no rule is an
error naming it. Nothing here calls SymPy's ``diff``/``fdiff`` or the engine.

>>> from symbackprop.exercise.model import from_equations
>>> ex = from_equations({"s": "w*x", "E": "(t - sigmoid(s))**2/2"}, params=["w"], at={"w": 0.0, "t": 1.0, "x": 1.0})
>>> gradients(ex)  # −(t − σ)·σ(1 − σ)·x at σ = ½
{'w': -0.125}
>>> gradients(ex, inputs={"x": [1.0, 2.0], "t": [1.0, 1.0]}, reduce="mean")   # (−0.125 − 0.25)/2
{'w': -0.1875}
"""

from __future__ import annotations

import functools
import math
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import sympy
from sympy import Heaviside

from symbackprop.core.functions import (
    ELU,
    Conventions,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Swish,
    Tanh,
)
from symbackprop.errors import EvaluationError, SymbackpropError
from symbackprop.exercise.model import REDUCTIONS, Exercise, loss_scale

Array = np.ndarray | float

# ---------------------------------------------------------------------------------------------
# The rules. ``forward(*args, out=None)`` gives the op's value, written into ``out`` when the
# engine passes one (a buffer for that entry, one value per sample, reused block after block;
# an op NumPy cannot compute in place may ignore it); ``backward(g, out, args, conv, needs)``
# gives ∂L/∂arg for each argument (None where ``needs`` is False: nothing upstream wants it),
# given g = ∂L/∂out. ``branch(args)``, for ops that are not smooth everywhere, says on which
# side of its kink each sample lies (0: exactly at it), which is where a finite difference
# cannot be trusted and a convention decides the derivative.
#
# A value or gradient with one number per sample may come as Scaled(c, a): c·a with the
# product not yet taken. Most of a lecture network's products are a per-sample array times a
# weight (s = h·w), and taking each one is a pass over the batch that the next op can do for
# free: σ(c·a) folds c into the multiplication σ needs anyway, a dot product multiplies its sum
# by c, the gradient w·g of s = h·w passes on as Scaled(w·c, g). Only rules marked
# ``scaled=True`` are given Scaled arguments and gradients; the others get plain arrays.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """The forward value, the local derivatives and (for kinked ops) the branch of one op."""

    forward: Callable[..., Array]
    backward: Callable[..., list]
    branch: Callable[..., Array] | None = None
    # forward and backward take Scaled arguments and gradients, and backward takes ``into``: a
    # buffer of the entry's own that it may write a per-sample result into (see Workspace).
    scaled: bool = False


class Scaled:
    """factor·array, one value per sample, the product not yet taken (see above).

    >>> value = Scaled(-2.0, np.array([1.0, 3.0]))
    >>> plain(value)
    array([-2., -6.])
    """

    __slots__ = ("array", "factor")

    def __init__(self, factor: float, array: np.ndarray) -> None:
        self.factor, self.array = factor, array

    def __len__(self) -> int:
        return len(self.array)

    def __repr__(self) -> str:
        return f"Scaled({self.factor!r}, {self.array!r})"


def plain(value, out: np.ndarray | None = None):
    """The value with any pending factor multiplied in (into ``out`` if given)."""
    if type(value) is Scaled:
        return np.multiply(value.array, value.factor, out=out)
    return value


def _parts(value) -> tuple[float, np.ndarray | None]:
    """(factor, per-sample array or None): a float is all factor, an array has factor 1."""
    if type(value) is Scaled:
        return value.factor, value.array
    if isinstance(value, np.ndarray) and value.ndim:
        return 1.0, value
    return value, None


def _lazy(factor: float, array: np.ndarray | None):
    """factor·array, left as Scaled unless the factor is 1 (or there is no array: a float).

    With a factor of 1 the result is ``array`` itself, which may be another entry's value:
    nothing may write into it.
    """
    if array is None:
        return factor
    if _is_one(factor):
        return array
    if not isinstance(factor, float):  # a 0-d array, as np.where gives
        return factor * array
    return Scaled(factor, array)


def _sigmoid(z: Array, out: np.ndarray | None = None, factor: float = 1.0) -> Array:
    """σ(factor·z) in four passes: the negation −factor·z, exp, +1, 1/·."""
    # exp(−z) overflows to inf for z < −709 and then 1/(1 + inf) = 0, the right limit;
    # the overflow warning is silenced by the caller's errstate. In place: at most one new array.
    if not _batched(z):
        return 1.0 / (1.0 + np.exp(-factor * z))
    result = np.negative(z, out=out) if factor == 1.0 else np.multiply(z, -factor, out=out)
    np.exp(result, out=result)
    result += 1.0
    return np.divide(1.0, result, out=result)  # twice as fast as np.reciprocal on float64


def _scaled(x: Array, beta: Array) -> Array:
    return x if _is_one(beta) else beta * x


def _is_one(value: Array) -> bool:
    return isinstance(value, float) and value == 1.0


def _step_of(x: Array, below: float, at_zero: float, above: float) -> Array:
    """A piecewise-constant slope: ``below`` for x < 0, ``at_zero`` at 0, ``above`` for x > 0."""
    return np.where(x > 0, above, np.where(x < 0, below, at_zero))


# A ``needs`` entry is 0 (not wanted), PER_SAMPLE, or TOTAL: the argument is one number for
# every sample (a param), so only its gradient summed over the batch is wanted. A rule may then
# return that sum itself, wrapped in Summed (a product does, with one dot product).
PER_SAMPLE, TOTAL = 1, 2


class Summed(float):
    """A gradient already summed over the batch by the rule that computed it."""


def _add_forward(*args, out=None):
    # A term −a (Scaled by −1, as SymPy writes t − y: t + (−1)·y) is subtracted, never negated
    # first; so it goes after a term it can be subtracted from.
    terms = sorted(args, key=lambda arg: type(arg) is Scaled and arg.factor == -1.0)
    total = plain(terms[0], out=out if type(terms[0]) is Scaled else None)
    for term in terms[1:]:
        into = out if total is not out else total
        if type(term) is Scaled and term.factor == -1.0:
            total = np.subtract(total, term.array, out=into)
        else:
            total = np.add(total, plain(term), out=into if _batched(total) or _batched(term) else None)
    return total


def _mul_forward(*args, out=None):
    # The factors shared by every sample stay out of a product with one per-sample array:
    # Scaled(their product, the array). With several arrays the factor is multiplied in first,
    # as SymPy orders the arguments (numbers first): taken last, c·(a·b) could overflow where
    # (c·a)·b does not.
    factor, arrays = 1.0, []
    for arg in args:
        part, array = _parts(arg)
        factor = factor * part
        if array is not None:
            arrays.append(array)
    if len(arrays) > 1:
        return _fold(np.multiply, [factor, *arrays] if not _is_one(factor) else arrays, out)
    return _lazy(factor, arrays[0] if arrays else None)


def _fold(ufunc: np.ufunc, args: Sequence[Array], out: np.ndarray | None) -> Array:
    """ufunc(ufunc(a, b), c)…, every step into ``out``."""
    result = ufunc(args[0], args[1], out=out)
    for arg in args[2:]:
        result = ufunc(result, arg, out=result if out is not None else None)
    return result


def _add_backward(g, out, args, conv, needs, into=None):
    return [g if need else None for need in needs]


def _mul_backward(g, out, args, conv, needs, into=None):
    # Products of the other factors, not out/arg: an argument may be exactly zero.
    if len(args) == 2:  # by far the most common: spare the general loop
        return [_times(g, args[1], needs[0]), _times(g, args[0], needs[1])]
    grads = []
    for index, need in enumerate(needs):
        others = [plain(value) for other, value in enumerate(args) if other != index]
        grads.append(_times(g, functools.reduce(np.multiply, others), need))
    return grads


def _times(g, rest, need):
    """g·rest, the gradient one factor of a product receives; summed at once when only the total is wanted."""
    if not need:
        return None
    g_factor, g_array = _parts(g)
    rest_factor, rest_array = _parts(rest)
    factor = g_factor * rest_factor
    if g_array is None or rest_array is None:
        return _lazy(factor, rest_array if g_array is None else g_array)
    if need == TOTAL:
        total = factor * _dot(g_array, rest_array)  # Σ_samples g·rest without the product array
        if not math.isfinite(total):  # the factor taken last may overflow what taken first would not
            total = _dot(plain(g), plain(rest))
        return Summed(total)
    return _lazy(factor, g_array * rest_array)


# OpenBLAS hands a dot product of more than 10 000 elements to its threads, which then spin on
# the other cores for about 0.1 s after it returns (measured: a second core busy while the
# process sleeps). Cut into chunks no longer than that, a dot stays on the calling thread and
# leaves the other cores to what else runs (torch, in the benchmark).
DOT_CHUNK = 10_000


def _dot(a: np.ndarray, b: np.ndarray) -> float:
    """Σ a·b for two 1-D arrays, on this thread alone.

    >>> _dot(np.arange(25_000.0), np.ones(25_000)) == 25_000 * 24_999 / 2
    True
    """
    if len(a) <= DOT_CHUNK:
        return float(np.dot(a, b))
    return math.fsum(np.dot(a[i : i + DOT_CHUNK], b[i : i + DOT_CHUNK]) for i in range(0, len(a), DOT_CHUNK))


def _pow_forward(base, exponent, out=None):
    if isinstance(exponent, float) and exponent == 2.0:
        return np.multiply(base, base, out=out)
    return np.power(base, exponent, out=out)


def _pow_backward(g, out, args, conv, needs):
    base, exponent = args
    d_base = d_exponent = None
    if needs[0]:
        if isinstance(exponent, float) and exponent == 2.0:
            d_base = _times(g, base, PER_SAMPLE)
            d_base = _times(d_base, 2.0, PER_SAMPLE)  # the 2 pending, not a pass of its own
        else:
            d_base = g * exponent * np.power(base, exponent - 1.0)
    if needs[1]:
        d_exponent = g * out * np.log(base)
    return [d_base, d_exponent]


def _unary(derivative: Callable[[Array, Array], Array]):
    """The backward step of a one-argument op: g · f′, f′ from the argument and the output."""

    def backward(g, out, args, conv, needs):
        return [g * derivative(args[0], out)]

    return backward


def _sigmoid_forward(x, beta=1.0, out=None):
    factor, array = _parts(x)
    if array is not None and isinstance(beta, float):
        return _sigmoid(array, out, factor * beta)  # σ(β·c·a) for x = Scaled(c, a): no pass for the product
    return _sigmoid(_scaled(plain(x), plain(beta)), out)


def _sigmoid_backward(g, out, args, conv, needs, into=None):
    x, beta = (*args, 1.0)[:2]
    slope = np.subtract(1.0, out, out=into) if into is not None else 1.0 - out
    slope *= out  # σ′(z) = σ(z)(1 − σ(z)) at z = βx
    # d_beta may keep hold of slope (x·slope is Scaled(x, slope) when x is a param), but then it
    # was summed by the outer _times (need TOTAL) or multiplied by g's array into a new one,
    # before slope is multiplied in place below, which happens only when g has an array.
    d_beta = _times(g, _times(x, slope, PER_SAMPLE), needs[1]) if _needs(needs, 1) else None
    if not needs[0]:
        return [None, d_beta]
    factor, array = _parts(g)
    if array is not None:
        slope *= array  # slope is this call's own (new, or its buffer): multiplied in place
    return [_times(slope, _times(factor, beta, PER_SAMPLE), PER_SAMPLE), d_beta]


def _tanh_forward(x, beta=1.0, out=None):
    return np.tanh(_scaled(x, beta), out=out)


def _tanh_backward(g, out, args, conv, needs):
    x, beta = (*args, 1.0)[:2]
    slope = 1.0 - out * out  # tanh′(z) = 1 − tanh²(z) at z = βx
    return [g * _scaled(slope, beta) if needs[0] else None, g * x * slope if _needs(needs, 1) else None]


def _sech_forward(x, out=None):
    # 2/(eˣ + e⁻ˣ) with e^(−|x|) only, which never overflows (cosh does past |x| ≈ 710).
    small = np.exp(-np.abs(x))
    return 2.0 * small / (1.0 + small * small)


def _needs(needs: Sequence[bool], index: int) -> bool:
    return len(needs) > index and needs[index]


def _relu_backward(g, out, args, conv, needs):
    return [g * _step_of(args[0], 0.0, conv.relu_grad_at_zero, 1.0)]


def _leaky_forward(x, beta=0.01, out=None):
    return np.where(x >= 0, x, beta * x)


def _leaky_backward(g, out, args, conv, needs):
    x, beta = (*args, 0.01)[:2]
    at_zero = beta if conv.leaky_relu_grad_at_zero is None else conv.leaky_relu_grad_at_zero
    d_x = g * np.where(x > 0, 1.0, np.where(x < 0, beta, at_zero)) if needs[0] else None
    d_beta = g * np.minimum(x, 0.0) if _needs(needs, 1) else None  # the slope multiplies x only below 0
    return [d_x, d_beta]


def _step_forward(x, beta=0.0, out=None):
    return np.where(x >= 0, 1.0, beta)


def _step_backward(g, out, args, conv, needs):
    x = args[0]
    # Flat on both sides; at 0 the convention (functions.Conventions allows only 0 there).
    d_x = g * _step_of(x, 0.0, conv.step_grad_at_zero, 0.0) if needs[0] else None
    d_beta = g * np.where(x < 0, 1.0, 0.0) if _needs(needs, 1) else None
    return [d_x, d_beta]


def _softplus_forward(x, beta=1.0, out=None):
    z = _scaled(x, beta)
    # max(z, 0) + log(1 + e^(−|z|)): never overflows, and exact to float64 for large |z|.
    return (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))) / beta


def _softplus_backward(g, out, args, conv, needs):
    x, beta = (*args, 1.0)[:2]
    gate = _sigmoid(_scaled(x, beta))
    d_x = g * gate if needs[0] else None
    d_beta = g * (x * gate - out) / beta if _needs(needs, 1) else None  # d/dβ of log(1 + e^(βx))/β
    return [d_x, d_beta]


def _swish_forward(x, beta=1.0, out=None):
    return x * _sigmoid(_scaled(x, beta))


def _swish_backward(g, out, args, conv, needs):
    x, beta = (*args, 1.0)[:2]
    gate = _sigmoid(_scaled(x, beta))
    slope = gate * (1.0 - gate)
    d_x = g * (gate + _scaled(x, beta) * slope) if needs[0] else None
    d_beta = g * x * x * slope if _needs(needs, 1) else None
    return [d_x, d_beta]


def _elu_forward(x, alpha=1.0, out=None):
    return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))


def _elu_backward(g, out, args, conv, needs):
    x, alpha = (*args, 1.0)[:2]
    below = np.exp(np.minimum(x, 0.0))
    # Slope α·eˣ at and below 0 (α at 0, as PyTorch takes it), 1 above.
    d_x = g * np.where(x > 0, 1.0, alpha * below) if needs[0] else None
    d_alpha = g * np.where(x > 0, 0.0, below - 1.0) if _needs(needs, 1) else None
    return [d_x, d_alpha]


def _softmax_parts(args):
    index, *xs = args
    top = functools.reduce(np.maximum, xs)
    weights = [np.exp(x - top) for x in xs]
    total = functools.reduce(np.add, weights)
    return int(index) - 1, weights, total


def _softmax_forward(*args, out=None):
    i, weights, total = _softmax_parts(args)
    return weights[i] / total


def _softmax_backward(g, out, args, conv, needs):
    i, weights, total = _softmax_parts(args)
    grads = [None]  # the index is not differentiable
    for j, need in enumerate(needs[1:]):
        if not need:
            grads.append(None)
        elif j == i:
            grads.append(g * out * (1.0 - out))  # ∂s_i/∂x_i = s_i(1 − s_i)
        else:
            grads.append(-g * out * (weights[j] / total))  # ∂s_i/∂x_j = −s_i·s_j
    return grads


def _extreme_backward(larger: bool):
    """max or min: the argument that wins takes the gradient; at a tie each tied one takes the convention."""
    pick = np.maximum if larger else np.minimum

    def backward(g, out, args, conv, needs):
        grads = []
        for index, need in enumerate(needs):
            if not need:
                grads.append(None)
                continue
            margin = _margin(args, index, pick)
            wins = margin > 0 if larger else margin < 0
            grads.append(g * np.where(wins, 1.0, np.where(margin == 0, conv.max_grad_at_tie, 0.0)))
        return grads

    def branch(*args):
        return np.stack(np.broadcast_arrays(*[np.sign(_margin(args, k, pick)) for k in range(len(args))]))

    return backward, branch


def _margin(args, index, pick):
    """The argument minus the best of the others (max or min)."""
    others = args[:index] + args[index + 1 :]
    return args[index] - functools.reduce(pick, others)


def _abs_backward(g, out, args, conv, needs):
    return [g * _step_of(args[0], -1.0, conv.abs_grad_at_zero, 1.0)]


def _heaviside_forward(x, at_zero=0.5, out=None):
    return np.where(x > 0, 1.0, np.where(x < 0, 0.0, at_zero))


def _heaviside_backward(g, out, args, conv, needs):
    x = args[0]
    # Flat on both sides of the jump, taken as 0 at it (the step's convention); the value at
    # zero is the second argument, so that is what it moves.
    return [g * 0.0 * x if needs[0] else None, g * np.where(x == 0, 1.0, 0.0) if _needs(needs, 1) else None]


def _first_sign(*args):
    return np.sign(args[0])


def _maybe_one(branch_test: Callable[[tuple], bool]):
    """A branch function that reports kinks only when ``branch_test(args)`` says the op has one."""

    def branch(*args):
        return np.sign(args[0]) if branch_test(args) else np.ones_like(args[0])

    return branch


_MAX_BACKWARD, _MAX_BRANCH = _extreme_backward(larger=True)
_MIN_BACKWARD, _MIN_BRANCH = _extreme_backward(larger=False)

# One entry per op. Anything else in an equation is refused by name (see _rule).
RULES: dict[type, Rule] = {
    sympy.Add: Rule(_add_forward, _add_backward, scaled=True),
    sympy.Mul: Rule(_mul_forward, _mul_backward, scaled=True),
    sympy.Pow: Rule(_pow_forward, _pow_backward),
    sympy.exp: Rule(np.exp, _unary(lambda x, out: out)),
    sympy.log: Rule(np.log, _unary(lambda x, out: 1.0 / x)),
    sympy.sin: Rule(np.sin, _unary(lambda x, out: np.cos(x))),
    sympy.cos: Rule(np.cos, _unary(lambda x, out: -np.sin(x))),
    sympy.sech: Rule(_sech_forward, _unary(lambda x, out: -out * np.tanh(x))),
    sympy.Max: Rule(lambda *a, out=None: _fold(np.maximum, a, out), _MAX_BACKWARD, _MAX_BRANCH),
    sympy.Min: Rule(lambda *a, out=None: _fold(np.minimum, a, out), _MIN_BACKWARD, _MIN_BRANCH),
    sympy.Abs: Rule(np.abs, _abs_backward, _first_sign),
    Heaviside: Rule(_heaviside_forward, _heaviside_backward, _first_sign),
    Sigmoid: Rule(_sigmoid_forward, _sigmoid_backward, scaled=True),
    Tanh: Rule(_tanh_forward, _tanh_backward),
    ReLU: Rule(lambda x, out=None: np.maximum(x, 0.0, out=out), _relu_backward, _first_sign),
    # A slope of 1 below zero (β = 1) makes leaky ReLU the identity: no kink at 0.
    LeakyReLU: Rule(_leaky_forward, _leaky_backward, _maybe_one(lambda a: len(a) < 2 or np.any(a[1] != 1.0))),
    Step: Rule(_step_forward, _step_backward, _first_sign),
    Softplus: Rule(_softplus_forward, _softplus_backward),
    Swish: Rule(_swish_forward, _swish_backward),
    # ELU is not smooth at 0 even with α = 1: its second derivative jumps there (0 above, α below),
    # so a central difference across 0 errs by about h·α/4, which is no witness at 1e-6.
    ELU: Rule(_elu_forward, _elu_backward, _first_sign),
    Softmax: Rule(_softmax_forward, _softmax_backward),
}


def _rule(expr: sympy.Expr) -> Rule:
    rule = RULES.get(type(expr)) or RULES.get(expr.func)
    if rule is None:
        raise SymbackpropError(f"the NumPy evaluator has no rule for {type(expr).__name__} (in {expr})")
    return rule


# ---------------------------------------------------------------------------------------------
# The tape: every distinct sub-expression of the equations, in an order where arguments come
# first. A named node's symbol is linked to its right side's entry, so the tape is one DAG.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Entry:
    """One tape entry: a leaf (an input or param), a constant, or an op on earlier entries."""

    expr: sympy.Expr
    rule: Rule | None = None
    args: tuple[int, ...] = ()
    leaf: str | None = None
    constant: float | None = None


@dataclass(frozen=True)
class Tape:
    """An exercise compiled for NumPy: the entries, and where each name's value is."""

    entries: tuple[Entry, ...]
    names: dict[str, int]  # leaf or node name → entry
    loss: int
    leaves: dict[str, frozenset[int]]  # leaf name → entries whose value depends on it
    # The forward steps (entry, forward rule, arguments, whether its value may stay Scaled),
    # and reverse sweeps worked out so far.
    ops: tuple[tuple[int, Callable, tuple[int, ...], bool], ...] = ()
    leaf_entries: tuple[int, ...] = ()
    sweeps: dict = field(default_factory=dict, compare=False, repr=False)


def compile_tape(exercise: Exercise) -> Tape:
    """The exercise's equations as a tape; an op with no NumPy rule is an error naming it.

    >>> from symbackprop.exercise.model import from_equations
    >>> tape = compile_tape(from_equations({"q": "x + y", "f": "q*z"}))
    >>> [str(entry.expr) for entry in tape.entries]
    ['x', 'y', 'x + y', 'z', 'q*z']
    """
    entries: list[Entry] = []
    memo: dict[sympy.Expr, int] = {}
    names: dict[str, int] = {}

    def visit(expr: sympy.Expr) -> int:
        if expr in memo:
            return memo[expr]
        if expr.is_Symbol:
            if expr.name in names:
                return names[expr.name]
            entry = Entry(expr, leaf=expr.name)
        elif expr.is_number and not expr.has(sympy.Function):
            entry = Entry(expr, constant=_constant(expr))
        else:
            rule = _rule(expr)
            entry = Entry(expr, rule=rule, args=tuple(visit(arg) for arg in expr.args))
        entries.append(entry)
        memo[expr] = len(entries) - 1
        if entry.leaf is not None:
            names[entry.leaf] = memo[expr]
        return memo[expr]

    for node, rhs in exercise.equations.items():
        try:
            names[node] = visit(rhs)
        except SymbackpropError as error:
            raise error.located(exercise.path or exercise.id, f"graph.{node}") from None
    # A value may stay Scaled only when every op that takes it takes Scaled arguments.
    takes_scaled = [True] * len(entries)
    for entry in entries:
        for a in entry.args:
            takes_scaled[a] = takes_scaled[a] and entry.rule.scaled
    ops = tuple(
        (index, entry.rule.forward, entry.args, takes_scaled[index])
        for index, entry in enumerate(entries)
        if entry.rule
    )
    leaf_entries = tuple(index for index, entry in enumerate(entries) if entry.leaf is not None)
    return Tape(tuple(entries), names, names[exercise.loss], _dependents(entries), ops, leaf_entries)


def _constant(expr: sympy.Expr) -> float:
    value = complex(expr)
    if value.imag:
        raise SymbackpropError(f"{expr} is not a real number")
    return value.real


def _dependents(entries: Sequence[Entry]) -> dict[str, frozenset[int]]:
    depends: list[frozenset[str]] = []
    for entry in entries:
        if entry.leaf is not None:
            depends.append(frozenset({entry.leaf}))
        else:
            depends.append(frozenset().union(*(depends[a] for a in entry.args)))
    leaves = {entry.leaf for entry in entries if entry.leaf is not None}
    return {leaf: frozenset(i for i, found in enumerate(depends) if leaf in found) for leaf in leaves}


# ---------------------------------------------------------------------------------------------
# Forward and backward over a batch.
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Backprop:
    """One forward and backward pass over a batch."""

    loss: float  # summed or averaged over the samples
    gradients: dict[str, float]  # ∂loss/∂P for each P asked for
    samples: int


def _batch(exercise: Exercise, inputs, params) -> tuple[dict[str, Array], int]:
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
    # Kept on the exercise like its tape (see tape_of): converting SymPy numbers took a tenth
    # of a small batch's time. _batch copies the dict; the arrays are read-only, since the
    # engine only reads its leaves and forward() returns copies.
    own = exercise.__dict__.get("_numeric_leaves")
    if own is None:
        own = {name: float(value) for name, value in (exercise.point or {}).items()}
        for name, values in exercise.data.items():
            own[name] = np.array([float(v) for v in values])
            own[name].flags.writeable = False
        exercise.__dict__["_numeric_leaves"] = own
    return own


def _forward(tape: Tape, leaves: Mapping[str, Array], buffers: Mapping[int, np.ndarray] | None = None) -> list[Array]:
    """Every entry's value; an entry with a buffer in ``buffers`` is computed into it."""
    values: list[Array] = [entry.constant for entry in tape.entries]
    for index in tape.leaf_entries:
        values[index] = leaves[tape.entries[index].leaf]
    buffers = buffers or {}
    with np.errstate(all="ignore"):  # a value that does not exist is reported by name below
        for index, forward, args, may_stay_scaled in tape.ops:
            out = buffers.get(index)
            arguments = [values[a] for a in args]
            value = forward(*arguments) if out is None else forward(*arguments, out=out)
            if type(value) is Scaled and not may_stay_scaled:
                value = plain(value, out)
            # A value shared by every sample stays a float (np.where gives 0-d arrays).
            values[index] = value if type(value) is not np.ndarray or value.ndim else float(value)
    return values


def _check_finite(exercise: Exercise, tape: Tape, values: Sequence[Array], first: int = 0) -> None:
    # NaN and inf flow on to the loss, so one test of the loss finds them; only then is every
    # node looked at, to name the first that has no value.
    with np.errstate(all="ignore"):  # multiplying out a pending factor may overflow: reported below
        if np.all(np.isfinite(plain(values[tape.loss]))):
            return
        named = {node: np.atleast_1d(plain(values[tape.names[node]])) for node in exercise.equations}
    for node, value in named.items():
        if not np.all(np.isfinite(value)):
            sample = first + int(np.flatnonzero(~np.isfinite(value))[0]) + 1
            raise EvaluationError(
                f"{node} has no finite value (sample {sample})",
                source=exercise.path or exercise.id,
                key=f"graph.{node}",
            )


def _backward(
    tape: Tape,
    values: Sequence[Array],
    steps: Sequence[tuple],
    seed: float,
    conv: Conventions,
    workspace: Workspace | None = None,
) -> list:
    """∂loss/∂entry for every entry on the reverse sweep ``steps`` (see :func:`_sweep`).

    An entry whose value is one number for every sample (a param, a constant) gets its
    adjoint as the total over the batch; an entry with one value per sample, per sample.
    Per-sample results go into the ``workspace``'s buffers where it has them.
    """
    adjoints: list = [None] * len(tape.entries)
    adjoints[tape.loss] = seed
    scratch, sums = (workspace.scratch, workspace.sums) if workspace else ({}, {})
    with np.errstate(all="ignore"):
        samples = _samples_in(values)
        for index, backward, args, needs, takes_scaled in steps:
            g = adjoints[index]
            if g is None:
                continue
            arguments = [values[a] for a in args]
            if takes_scaled:
                grads = backward(g, values[index], arguments, conv, needs, into=scratch.get(index))
            else:
                grads = backward(plain(g), values[index], arguments, conv, needs)
            adjoints[index] = None  # done with: an array of its own is freed for the next steps
            for a, need, grad in zip(args, needs, grads, strict=False):
                if grad is None:
                    continue
                if isinstance(grad, Summed):
                    grad = float(grad)
                elif need == TOTAL:
                    grad = _total(grad, samples)
                adjoints[a] = _path_sum(adjoints[a], grad, sums.get(a))
    return adjoints


def _path_sum(held, grad, into: np.ndarray | None = None):
    """held + grad: the gradients along the paths that meet at one entry, summed (None: no path yet).

    Into ``into``, the entry's own buffer, when there is one; never into either gradient,
    which may be another entry's array too.
    """
    if held is None:
        return grad
    if held is into:  # a third path or later: the buffer holds the sum so far
        held += plain(grad)
        return held
    if type(grad) is Scaled:
        held, grad = grad, held
    if type(held) is Scaled:
        total = plain(held, out=into)  # new, or the entry's own buffer: added into in place
        total += plain(grad)
        return total
    if into is not None and (_batched(held) or _batched(grad)):
        return np.add(held, grad, out=into)
    return held + grad


def _sweep(tape: Tape, wrt: tuple[str, ...], batches: frozenset[str]) -> list[tuple]:
    """The reverse sweep's steps, worked out once per tape, ``wrt`` and which leaves are batches.

    Each step: (entry, its backward rule, its arguments, what each argument needs, whether the
    rule takes a Scaled gradient).
    """
    key = (wrt, batches)
    if key not in tape.sweeps:
        shape = _per_sample(tape, batches)
        wanted = frozenset().union(*(tape.leaves.get(name, frozenset()) for name in wrt))
        steps = []
        for index in range(tape.loss, -1, -1):
            entry = tape.entries[index]
            if entry.rule is None:
                continue
            per_sample = shape[index]
            needs = tuple(
                0 if a not in wanted else TOTAL if per_sample and not shape[a] else PER_SAMPLE for a in entry.args
            )
            if any(needs):
                steps.append((index, entry.rule.backward, entry.args, needs, entry.rule.scaled))
        tape.sweeps[key] = steps
    return tape.sweeps[key]


def _batches(leaves: Mapping[str, Array]) -> frozenset[str]:
    """The leaves with one value per sample."""
    return frozenset(name for name, value in leaves.items() if _batched(value))


def _per_sample(tape: Tape, batches: frozenset[str]) -> list[bool]:
    """For each entry, whether it has one value per sample: when any of its arguments has (no op reduces)."""
    shape: list[bool] = []
    for entry in tape.entries:
        shape.append(entry.leaf in batches if entry.leaf is not None else any(shape[a] for a in entry.args))
    return shape


@dataclass(frozen=True)
class Workspace:
    """Buffers of one block's size, each entry's own: a block's values, path sums and σ's gradients go there."""

    size: int  # samples in each buffer
    values: dict[int, np.ndarray]  # an op entry's value
    sums: dict[int, np.ndarray]  # the sum of the gradients along the paths that meet at an entry (leaves too)
    # A per-sample result of the entry's backward rule, for rules with scaled=True (given as
    # ``into``). Of those only σ makes one; Add and Mul pass gradients on, and leave theirs
    # unwritten (a large buffer has no memory of its own until written).
    scratch: dict[int, np.ndarray]

    def first(self, samples: int) -> Workspace:
        """The same buffers cut to their first ``samples``, for a block shorter than the others."""
        kinds = (self.values, self.sums, self.scratch)
        return Workspace(samples, *({index: buffer[:samples] for index, buffer in kind.items()} for kind in kinds))


# Each thread's workspace, for the tape and batch shape it last worked on (see _workspace).
_workspaces = threading.local()


def _workspace(tape: Tape, batches: frozenset[str], size: int) -> Workspace:
    """A buffer of ``size`` samples for each per-sample value, path sum and rule result: this thread's own.

    Kept for the next block and the next call on the same tape: allocating them afresh each block
    returns the memory to the OS and takes it back as new pages (glibc trims its heap when more
    than 128 KB is free at the top), and those page faults cost more than the arithmetic: 4x
    slower end to end on the benchmark's batch, measured in a process without torch (whose
    import happens to keep glibc from trimming, which hid this from the benchmark).
    """
    kept = getattr(_workspaces, "kept", None)
    if kept is None or kept[0] is not tape or kept[1] != (batches, size):
        shape = _per_sample(tape, batches)
        per_sample = [index for index, *_ in tape.ops if shape[index]]
        kept = _workspaces.kept = (
            tape,
            (batches, size),
            Workspace(
                size,
                values={index: np.empty(size) for index in per_sample},
                sums={index: np.empty(size) for index, entry in enumerate(tape.entries) if shape[index]},
                scratch={index: np.empty(size) for index in per_sample if tape.entries[index].rule.scaled},
            ),
        )
    return kept[2]


def _samples_in(values: Sequence[Array]) -> int:
    return next((len(value) for value in values if _batched(value)), 1)


def _batched(value: Array) -> bool:
    return type(value) is Scaled or (isinstance(value, np.ndarray) and value.ndim > 0)


def _total(grad: Array, samples: int) -> float:
    """A per-sample contribution to an entry shared by every sample, summed over the batch."""
    if type(grad) is Scaled:
        total = grad.factor * float(np.sum(grad.array))
        if math.isfinite(total):
            return total
        with np.errstate(all="ignore"):  # the factor taken last may overflow what taken first would not
            return float(np.sum(plain(grad)))
    return float(np.sum(grad)) if _batched(grad) else float(grad) * samples


def _scale(reduce: str, samples: int) -> float:
    """Each sample's weight in the loss for ``reduce``; a reduction other than sum or mean is bad input."""
    if reduce not in REDUCTIONS:
        raise SymbackpropError(f'expected "sum" or "mean", not {reduce!r}', key="reduce")
    return loss_scale(reduce, samples)


def tape_of(exercise: Exercise) -> Tape:
    """The exercise's tape, compiled once per exercise object."""
    # Exercises are frozen but not hashable (dict fields): the tape is kept on the object,
    # the way functools.cached_property keeps the exercise's graph.
    tape = exercise.__dict__.get("_numeric_tape")
    if tape is None:
        tape = exercise.__dict__["_numeric_tape"] = compile_tape(exercise)
    return tape


# Samples per block. A block's values, path sums and σ's gradients live in the thread's
# workspace (see _workspace); what else a rule makes per sample (a product of two per-sample
# arrays, the results of rules other than +, ·, σ) is still a new array. On the benchmark's
# network that left no page faults at any block size, where before the workspace held them a
# block above 30 000 samples page-faulted (glibc trimming its heap) and ran 2x slower. Fewer
# blocks mean less Python per sample; larger ones spill the cache and take more memory (up to
# three buffers per entry). Measured in ns per sample, forward and backward of the network of
# benchmarks/bench_numeric.py: over 10^6 samples 16 384 took 11.3, 32 768 9.6, 65 536 9.2,
# 100 000 9.3 and 200 000 10.0; over 10^5 samples, one block of 100 000 took 8.5 against 9.3
# in two of 65 536.
# A second core gains little (README, Speed): two blocks of 50 000 on a thread pool ran no
# faster than one block (0.80–1.17 ms against 0.82–0.87), the per-op Python holding the GIL;
# shares in a second process 1.15–1.5x, each process then running about 45% slower than alone.
BLOCK = 100_000


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
    leaves, samples = _batch(exercise, inputs, params)
    scale = _scale(reduce or exercise.reduce, samples)
    wrt = tuple(exercise.params if wrt is None else wrt)
    for name in wrt:
        if name not in exercise.graph.leaves and name not in exercise.params:
            raise SymbackpropError(f"{name!r} is not an input or param of {exercise.id}", key="wrt")
    batches = _batches(leaves)
    steps = _sweep(tape, wrt, batches)
    workspace = _workspace(tape, batches, min(BLOCK, samples))
    block = functools.partial(_block, exercise, tape, leaves, samples, steps, workspace, wrt, scale)
    blocks = [block(start) for start in range(0, samples, BLOCK)]
    return Backprop(
        loss=math.fsum(loss for loss, _ in blocks),
        gradients={name: math.fsum(found[name] for _, found in blocks) for name in wrt},
        samples=samples,
    )


def _block(exercise, tape: Tape, leaves, samples: int, steps, workspace, wrt, scale: float, start: int) -> tuple:
    """The loss and gradients of the samples from ``start``, one block, weighted by ``scale``."""
    stop = min(start + BLOCK, samples)
    block = {name: value[start:stop] if _batched(value) else value for name, value in leaves.items()}
    if stop - start < workspace.size:
        workspace = workspace.first(stop - start)
    values = _forward(tape, block, workspace.values)
    loss = _loss_total(exercise, tape, values, scale, stop - start, first=start)
    # The seed ∂loss/∂(loss of one sample) is the reduction's scale; a loss that is the same
    # for every sample is seeded with its total weight at once.
    per_sample = _batched(values[tape.loss])
    seed = scale if per_sample else scale * (stop - start)
    adjoints = _backward(tape, values, steps, seed, exercise.conventions, workspace)
    return loss, {
        name: _gradient(adjoints, tape, name, stop - start if _batched(block.get(name)) else 1) for name in wrt
    }


def _loss_total(exercise: Exercise, tape: Tape, values, scale: float, samples: int, first: int = 0) -> float:
    """The loss over these samples, weighted by ``scale``; a loss with no finite value is an error saying why."""
    with np.errstate(all="ignore"):  # an overflow is reported below, by name
        loss = scale * _total(values[tape.loss], samples)
    if not math.isfinite(loss):  # NaN and inf flow on into the summed loss
        _check_finite(exercise, tape, values, first)
        raise EvaluationError(
            f"{exercise.loss} is finite for every sample but its total over the batch is not",
            source=exercise.path or exercise.id,
            key=f"graph.{exercise.loss}",
        )
    return loss


def forward(
    exercise: Exercise, inputs: Mapping[str, object] | None = None, params: Mapping[str, float] | None = None
) -> dict[str, Array]:
    """Every name's value over the batch: an array per sample, or a float when all samples share it.

    >>> from symbackprop.exercise.model import load
    >>> float(forward(load("fx-plus-y-times-z"))["q"])   # q = x + y at x = −2, y = 5
    3.0
    """
    tape = tape_of(exercise)
    leaves, _ = _batch(exercise, inputs, params)
    values = _forward(tape, leaves)
    _check_finite(exercise, tape, values)
    with np.errstate(all="ignore"):  # finite, as just checked: multiplying out cannot overflow now
        named = {name: plain(values[index]) for name, index in tape.names.items()}
    # Copies: a value may be an input's own array (s = 1·x), or the exercise's [data].
    return {name: value.copy() if isinstance(value, np.ndarray) else value for name, value in named.items()}


def _gradient(adjoints: Sequence, tape: Tape, name: str, samples: int) -> float:
    """∂loss/∂name: a param's total, or for an input with a value per each of ``samples``, their sum."""
    adjoint = adjoints[tape.names[name]] if name in tape.names else None
    if adjoint is None:
        return 0.0  # the name does not reach the loss
    return _total(adjoint, samples)  # a float adjoint of a per-sample input is every sample's


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
    return _loss_and_branches(exercise, inputs, params, reduce)[0]


def _loss_and_branches(exercise, inputs, params, reduce) -> tuple[float, list[tuple[int, np.ndarray]]]:
    tape = tape_of(exercise)
    leaves, samples = _batch(exercise, inputs, params)
    values = _forward(tape, leaves)
    _check_finite(exercise, tape, values)
    with np.errstate(all="ignore"):
        branches = [
            (index, np.asarray(entry.rule.branch(*[plain(values[a]) for a in entry.args])))
            for index, entry in enumerate(tape.entries)
            if entry.rule is not None and entry.rule.branch is not None
        ]
    return _loss_total(exercise, tape, values, _scale(reduce or exercise.reduce, samples), samples), branches


# ---------------------------------------------------------------------------------------------
# Central finite differences: the third witness, which knows no derivative rule at all.
# ---------------------------------------------------------------------------------------------

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
    tape = tape_of(exercise)
    leaves, _ = _batch(exercise, inputs, params)
    if param not in leaves:
        return FiniteDifference(0.0, None)  # no equation uses it: the loss does not move
    p = float(leaves[param]) if not isinstance(leaves[param], np.ndarray) else None
    if p is None:
        raise SymbackpropError(f"{param!r} has one value per sample; finite differences need a param", key=param)
    step = FD_STEP * max(1.0, abs(p))
    # Make p ± h exact in binary, so that the division by 2h uses the step actually taken.
    step = (p + step) - p
    given = {**(params or {}), param: p}
    _, center = _loss_and_branches(exercise, inputs, given, reduce)
    up, above = _loss_and_branches(exercise, inputs, {**given, param: p + step}, reduce)
    down, below = _loss_and_branches(exercise, inputs, {**given, param: p - step}, reduce)
    moved = tape.leaves.get(param, frozenset())
    kink = None
    for (index, here), (_, plus), (_, minus) in zip(center, above, below, strict=True):
        if index in moved and (np.any(here == 0) or np.any(plus != here) or np.any(minus != here)):
            kink = str(tape.entries[index].expr)
            break
    return FiniteDifference((up - down) / (2.0 * step), kink)
