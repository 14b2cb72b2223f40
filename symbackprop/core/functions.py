"""The function library: activations as SymPy functions, each with its value and local derivative.

Each class keeps, side by side, its forward rule (``numeric``, on floats) and its local
derivative (``fdiff``), the way micrograd keeps an op's backward step next to its forward
step. ``eval`` only handles explicit special cases, so ``sigmoid(s)`` stays ``sigmoid(s)``.

Where a derivative does not exist (ReLU at 0, a tie in ``max``), the value used is a
*convention*, read from :class:`Conventions` while derivatives are taken.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, fields

import sympy
from sympy import Function, Heaviside, Integer, S
from sympy.core.function import ArgumentIndexError

from symbackprop.errors import SymbackpropError, is_finite_number


@dataclass(frozen=True)
class Conventions:
    """Values taken for derivatives at points where they do not exist (PyTorch's by default).

    ``leaky_relu_grad_at_zero`` of ``None`` means the function's own slope β, as PyTorch takes it.

    >>> Conventions().relu_grad_at_zero
    0.0
    """

    relu_grad_at_zero: float = 0.0
    leaky_relu_grad_at_zero: float | None = None
    step_grad_at_zero: float = 0.0
    max_grad_at_tie: float = 0.5
    abs_grad_at_zero: float = 0.0

    @classmethod
    def from_mapping(cls, values: dict[str, object]) -> Conventions:
        """Conventions from an exercise's ``[conventions]`` table; unknown keys are errors."""
        known = {field.name for field in fields(cls)}
        for name, value in values.items():
            if name not in known:
                raise SymbackpropError(
                    f"unknown convention (known: {', '.join(sorted(known))})",
                    key=f"conventions.{name}",
                )
            if not is_finite_number(value):
                raise SymbackpropError(f"must be a finite number, not {value!r}", key=f"conventions.{name}")
        if values.get("step_grad_at_zero", 0) != 0:
            # The step has no derivative anywhere but 0, where it is a jump: only 0 keeps
            # gradient descent meaningful, and silently using another value would mislead.
            raise SymbackpropError(
                "only 0 is supported: the step's derivative is 0 wherever it exists",
                key="conventions.step_grad_at_zero",
            )
        return cls(**{name: float(value) for name, value in values.items()})


# Conventions is a frozen dataclass, so sharing one default instance is safe.
_conventions: ContextVar[Conventions] = ContextVar("conventions", default=Conventions())  # noqa: B039


@contextmanager
def conventions_in_force(conventions: Conventions) -> Iterator[None]:
    """Take derivatives under ``conventions`` inside the ``with`` block."""
    token = _conventions.set(conventions)
    try:
        yield
    finally:
        _conventions.reset(token)


def current_conventions() -> Conventions:
    """The conventions derivatives are taken under right now."""
    return _conventions.get()


def _exact(value: float) -> sympy.Rational:
    """A convention as an exact number, so that derivatives stay exact: 0.5 → 1/2."""
    return sympy.Rational(repr(float(value)))


def _sigmoid_float(x: float) -> float:
    # Two branches so that exp never overflows for large |x|.
    if x >= 0:
        return 1.0 / (1.0 + math.exp(-x))
    z = math.exp(x)
    return z / (1.0 + z)


class ActivationBase(Function):
    """A function of the library: plain-syntax ``name``, float rule ``numeric``, default params."""

    name: str = ""
    defaults: tuple = ()
    # True where the lecture writes the derivative through the function's own output:
    # σ' = h(1 − h) when h = σ(s), tanh' = 1 − h².
    derivative_uses_output: bool = False

    @classmethod
    def numeric(cls, *args: float) -> float:
        """The value at float arguments."""
        raise NotImplementedError(cls.__name__)

    def with_defaults(self) -> tuple:
        """The arguments with omitted optional ones (β, α) filled in."""
        missing = len(self.defaults) + 1 - len(self.args)
        return (*self.args, *self.defaults[len(self.defaults) - missing :])

    def _eval_evalf(self, prec):
        rewritten = self.rewrite(sympy.exp)
        if rewritten == self:
            return None
        return rewritten._eval_evalf(prec)


class _ScaledActivationBase(ActivationBase):
    """f(βx) whose derivative the lecture writes through f itself: β·f′ in x, x·f′ in β."""

    nargs = (1, 2)
    defaults = (Integer(1),)
    derivative_uses_output = True

    def slope(self) -> sympy.Expr:
        """f′ at βx, written through the function's own value."""
        raise NotImplementedError(type(self).__name__)

    def fdiff(self, argindex=1):
        """The local derivative: β·f′(βx) in x, x·f′(βx) in β, f′ written in the output (h(1 − h) for σ)."""
        x, beta = self.with_defaults()
        if argindex == 1:
            return beta * self.slope()
        if argindex == 2:
            return x * self.slope()
        raise ArgumentIndexError(self, argindex)


class Sigmoid(_ScaledActivationBase):
    """σ(x) = 1/(1 + e^(−βx)), β = 1 unless given; σ′ = σ(1 − σ).

    >>> from sympy import Symbol
    >>> s = Symbol("s")
    >>> Sigmoid(s).diff(s)
    (1 - Sigmoid(s))*Sigmoid(s)
    """

    name = "sigmoid"

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_zero:
            return S.Half

    def slope(self):
        return self * (1 - self)

    @classmethod
    def numeric(cls, x, beta=1.0):
        return _sigmoid_float(beta * x)

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return 1 / (1 + sympy.exp(-beta * x))


class Tanh(_ScaledActivationBase):
    """tanh(βx), β = 1 unless given; tanh′ = 1 − tanh²."""

    name = "tanh"

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_zero:
            return S.Zero

    def slope(self):
        return 1 - self**2

    @classmethod
    def numeric(cls, x, beta=1.0):
        return math.tanh(beta * x)

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return sympy.tanh(beta * x).rewrite(sympy.exp)


class ReLU(ActivationBase):
    """max(x, 0); its derivative is the unit step, ``relu_grad_at_zero`` at 0."""

    nargs = 1
    name = "relu"

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return sympy.Max(x, 0)

    def fdiff(self, argindex=1):
        """The unit step H(x), its value at 0 the exercise's relu_grad_at_zero."""
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return Heaviside(self.args[0], _exact(current_conventions().relu_grad_at_zero))

    @classmethod
    def numeric(cls, x):
        return x if x > 0 else 0.0

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sympy.Max(x, 0)


class LeakyReLU(ActivationBase):
    """x for x ≥ 0, βx below (β = 0.01 unless given, as PyTorch)."""

    nargs = (1, 2)
    name = "leaky_relu"
    defaults = (sympy.Rational(1, 100),)

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_number and x.is_extended_real:
            slope = cls.defaults[0] if beta is None else beta
            return x if x >= 0 else slope * x

    def fdiff(self, argindex=1):
        """1 above zero and β below in x (at 0 the convention), min(x, 0) in β."""
        x, beta = self.with_defaults()
        if argindex == 1:
            # β + (1 − β)·H(x): 1 above zero, β below; H(0) is chosen so that the
            # derivative at 0 is the convention (β itself by default, as PyTorch).
            at_zero = current_conventions().leaky_relu_grad_at_zero
            h0 = 0 if at_zero is None or beta == 1 else (_exact(at_zero) - beta) / (1 - beta)
            return beta + (1 - beta) * Heaviside(x, h0)
        if argindex == 2:
            return sympy.Min(x, 0)
        raise ArgumentIndexError(self, argindex)

    @classmethod
    def numeric(cls, x, beta=0.01):
        return x if x >= 0 else beta * x


class Step(ActivationBase):
    """1 for x ≥ 0, β below (β = 0 unless given), as lecture 000 defines it."""

    nargs = (1, 2)
    name = "step"
    defaults = (Integer(0),)

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_number and x.is_extended_real:
            return S.One if x >= 0 else (S.Zero if beta is None else beta)

    def fdiff(self, argindex=1):
        """0 in x on both sides (at 0 the only convention allowed), and 1 below zero in β."""
        x = self.args[0]
        if argindex == 1:
            return S.Zero  # flat on both sides; at 0 the convention (only 0 is allowed)
        if argindex == 2:
            return 1 - Heaviside(x, 1)  # the step is β only below 0
        raise ArgumentIndexError(self, argindex)

    @classmethod
    def numeric(cls, x, beta=0.0):
        return 1.0 if x >= 0 else beta


class Softplus(ActivationBase):
    """log(1 + e^(βx))/β, β = 1 unless given; its derivative is σ(βx)."""

    nargs = (1, 2)
    name = "softplus"
    defaults = (Integer(1),)

    def fdiff(self, argindex=1):
        """σ(βx) in x, (x·σ(βx) − softplus)/β in β."""
        x, beta = self.with_defaults()
        if argindex == 1:
            return Sigmoid(x, beta) if len(self.args) == 2 else Sigmoid(x)
        if argindex == 2:
            return (x * Sigmoid(beta * x) - self) / beta
        raise ArgumentIndexError(self, argindex)

    @classmethod
    def numeric(cls, x, beta=1.0):
        z = beta * x
        return (max(z, 0.0) + math.log1p(math.exp(-abs(z)))) / beta

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return sympy.log(1 + sympy.exp(beta * x)) / beta


class Swish(ActivationBase):
    """x·σ(βx), β = 1 unless given."""

    nargs = (1, 2)
    name = "swish"
    defaults = (Integer(1),)

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_zero:
            return S.Zero

    def fdiff(self, argindex=1):
        """σ + βx·σ(1 − σ) in x, x²·σ(1 − σ) in β, σ = σ(βx)."""
        x, beta = self.with_defaults()
        gate = Sigmoid(x, beta) if len(self.args) == 2 else Sigmoid(x)
        if argindex == 1:
            return gate + beta * x * gate * (1 - gate)
        if argindex == 2:
            return x**2 * gate * (1 - gate)
        raise ArgumentIndexError(self, argindex)

    @classmethod
    def numeric(cls, x, beta=1.0):
        return x * _sigmoid_float(beta * x)

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return x / (1 + sympy.exp(-beta * x))


class ELU(ActivationBase):
    """x for x > 0, α(e^x − 1) otherwise (α = 1 unless given); slope α at 0, as PyTorch."""

    nargs = (1, 2)
    name = "elu"
    defaults = (Integer(1),)

    @classmethod
    def eval(cls, x, alpha=None):
        if x.is_number and x.is_extended_real:
            scale = cls.defaults[0] if alpha is None else alpha
            return x if x > 0 else scale * (sympy.exp(x) - 1)

    def fdiff(self, argindex=1):
        """1 above zero and α·eˣ at and below it (α at 0, as PyTorch) in x, eˣ − 1 below zero in α."""
        x, alpha = self.with_defaults()
        if argindex == 1:
            return Heaviside(x, 0) + alpha * sympy.exp(x) * Heaviside(-x, 1)
        if argindex == 2:
            return (sympy.exp(x) - 1) * Heaviside(-x, 1)
        raise ArgumentIndexError(self, argindex)

    @classmethod
    def numeric(cls, x, alpha=1.0):
        return x if x > 0 else alpha * math.expm1(x)


class Softmax(ActivationBase):
    """softmax(i, x1, …, xn) = e^(x_i)/Σ e^(x_j), with i counted from 1.

    >>> from sympy import symbols
    >>> a, b = symbols("a b")
    >>> Softmax(1, a, b).diff(b)
    -Softmax(1, a, b)*Softmax(2, a, b)
    """

    name = "softmax"
    derivative_uses_output = True

    @classmethod
    def eval(cls, index, *xs):
        if not (index.is_Integer and 1 <= index <= len(xs)):
            raise SymbackpropError(f"softmax's first argument must be a whole number from 1 to {len(xs)}")

    def fdiff(self, argindex=2):
        """s_i(1 − s_i) for its own input, −s_i·s_j for another: the softmax Jacobian's entries."""
        index, *xs = self.args
        j = argindex - 1
        if j < 1 or j > len(xs):
            raise ArgumentIndexError(self, argindex)
        if j == index:
            return self * (1 - self)
        return -self * Softmax(j, *xs)

    @classmethod
    def numeric(cls, index, *xs):
        top = max(xs)
        weights = [math.exp(x - top) for x in xs]
        return weights[int(index) - 1] / math.fsum(weights)

    def _eval_rewrite_as_exp(self, index, *xs, **kwargs):
        return sympy.exp(xs[int(index) - 1]) / sympy.Add(*[sympy.exp(x) for x in xs])


def _max_rule(expr, index):
    others = expr.args[: index - 1] + expr.args[index:]
    return Heaviside(expr.args[index - 1] - sympy.Max(*others), _tie())


def _min_rule(expr, index):
    others = expr.args[: index - 1] + expr.args[index:]
    return Heaviside(sympy.Min(*others) - expr.args[index - 1], _tie())


def _abs_rule(expr, index):
    at_zero = current_conventions().abs_grad_at_zero
    if at_zero == 0:
        return sympy.sign(expr.args[0])
    return 2 * Heaviside(expr.args[0], (_exact(at_zero) + 1) / 2) - 1


def _heaviside_rule(expr, index):
    x = expr.args[0]
    if index == 1:
        return sympy.Integer(0)  # flat on both sides; at the jump 0, as for the step
    # The value at 0 moves it only there: 1 at x = 0, else 0, in steps the evaluators know.
    return 1 - Heaviside(x, 0) - Heaviside(-x, 0)


def _tie():
    return _exact(current_conventions().max_grad_at_tie)


# SymPy's own max, min and abs fix their value at the kink (½ at a tie, 0 at 0), and its
# Heaviside's derivative is a Dirac delta; these rules take the exercise's conventions instead.
_NONSMOOTH_RULES: dict[type, Callable] = {
    sympy.Max: _max_rule,
    sympy.Min: _min_rule,
    sympy.Abs: _abs_rule,
    Heaviside: _heaviside_rule,
}


def outer_derivative(expr: sympy.Function, index: int) -> sympy.Expr:
    """∂f(a1, …, an)/∂a_index for any function of a graph, under the conventions in force.

    >>> from sympy import Symbol, Max
    >>> a, b = Symbol("a", real=True), Symbol("b", real=True)
    >>> with conventions_in_force(Conventions(max_grad_at_tie=1)):
    ...     outer_derivative(Max(a, b), 1)
    Heaviside(a - b, 1)
    """
    rule = _NONSMOOTH_RULES.get(expr.func)
    return rule(expr, index) if rule else expr.fdiff(index)


@dataclass(frozen=True)
class Signature:
    """How a name is called in the plain syntax: the SymPy builder and how many arguments."""

    build: Callable[..., sympy.Expr]
    min_args: int
    max_args: int | None  # None: any number


def _heaviside(x, at_zero):
    return Heaviside(x, at_zero)


# Every function a right side or an answer may call, by its plain-syntax name.
FUNCTIONS: dict[str, Signature] = {
    "sigmoid": Signature(Sigmoid, 1, 2),
    "tanh": Signature(Tanh, 1, 2),
    "relu": Signature(ReLU, 1, 1),
    "leaky_relu": Signature(LeakyReLU, 1, 2),
    "step": Signature(Step, 1, 2),
    "softplus": Signature(Softplus, 1, 2),
    "swish": Signature(Swish, 1, 2),
    "elu": Signature(ELU, 1, 2),
    "softmax": Signature(Softmax, 2, None),
    "exp": Signature(sympy.exp, 1, 1),
    "log": Signature(sympy.log, 1, 1),
    "sqrt": Signature(sympy.sqrt, 1, 1),
    "sin": Signature(sympy.sin, 1, 1),
    "cos": Signature(sympy.cos, 1, 1),
    "sech": Signature(sympy.sech, 1, 1),  # tanh′ as decks write it: β·sech²(βx)
    "max": Signature(sympy.Max, 2, None),
    "min": Signature(sympy.Min, 2, None),
    "abs": Signature(sympy.Abs, 1, 1),
    "heaviside": Signature(_heaviside, 2, 2),
}

CONSTANTS: dict[str, sympy.Expr] = {"pi": sympy.pi, "e": sympy.E}


# The losses of the lectures, written out over lists of targets and outputs.
def half_sse(targets, outputs):
    """½ Σ (t − y)², the loss of lectures 001, 003 and 004.

    >>> from sympy import symbols
    >>> t, y = symbols("t y")
    >>> half_sse([t], [y])
    (t - y)**2/2
    """
    return sympy.Add(*[(t - y) ** 2 for t, y in zip(targets, outputs, strict=True)]) / 2


def sse(targets, outputs):
    """Σ (t − y)²."""
    return sympy.Add(*[(t - y) ** 2 for t, y in zip(targets, outputs, strict=True)])


def mse(targets, outputs):
    """(1/n) Σ (t − y)²."""
    return sse(targets, outputs) / len(outputs)


def bce(targets, outputs):
    """−Σ [t log y + (1 − t) log(1 − y)], binary cross-entropy of sigmoid outputs."""
    return -sympy.Add(*[t * sympy.log(y) + (1 - t) * sympy.log(1 - y) for t, y in zip(targets, outputs, strict=True)])


def cce(targets, outputs):
    """−Σ t log y, cross-entropy of softmax outputs."""
    return -sympy.Add(*[t * sympy.log(y) for t, y in zip(targets, outputs, strict=True)])


LOSSES: dict[str, Callable] = {"half_sse": half_sse, "sse": sse, "mse": mse, "bce": bce, "cce": cce}
