"""The function library: the lecture's activations, each one class declaring everything about it.

Each class holds, side by side, its plain-syntax ``name``, its arity (``nargs``) and default
parameters, its LaTeX (and Unicode) name, its local derivative (``fdiff``), its value on floats
(``value``) and its NumPy rules (``forward`` and ``local``), the way micrograd keeps an op's
backward step next to its forward step. ``eval`` only handles explicit special cases, so
``sigmoid(s)`` stays ``sigmoid(s)``. Defining the class registers it (see
:mod:`symbackprop.core.activation`). SymPy's own non-smooth functions (max, min, abs, the step)
get their derivatives under the exercise's conventions here too (:func:`outer_derivative`).
"""

from __future__ import annotations

import math
from collections.abc import Callable

import sympy
from sympy import Heaviside, Integer, S
from sympy.core.function import ArgumentIndexError

from symbackprop.core.activation import (
    ACTIVATIONS,
    CONSTANTS,
    FUNCTIONS,
    UNICODE_NAMES,
    ActivationBase,
    Conventions,
    RegistryView,
    conventions_in_force,
    current_conventions,
    exact,
    kink_at_zero,
    latex_macro,
    logistic,
    logistic_float,
    np,
    register,
    slopes,
    times,
    unregister,
)
from symbackprop.errors import SymbackpropError

# The registry's names are taken from here, so that the library's activations are registered first.
__all__ = [
    "ACTIVATIONS",
    "CONSTANTS",
    "ELU",
    "FUNCTIONS",
    "UNICODE_NAMES",
    "ActivationBase",
    "Conventions",
    "LeakyReLU",
    "ReLU",
    "RegistryView",
    "Sigmoid",
    "Softmax",
    "Softplus",
    "Step",
    "Swish",
    "Tanh",
    "conventions_in_force",
    "current_conventions",
    "latex_macro",
    "outer_derivative",
    "register",
    "unregister",
]


class _ScaledActivationBase(ActivationBase):
    """f(βx) whose derivative the lecture writes through f itself: β·f′ in x, x·f′ in β."""

    nargs = (1, 2)
    defaults = (Integer(1),)
    beta_inside = True
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

    name, latex, unicode = "sigmoid", r"\sigma", "σ"

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_zero:
            return S.Half

    def slope(self):
        return self * (1 - self)

    @staticmethod
    def value(x, beta=1.0):
        return logistic_float(beta * x)

    @staticmethod
    def forward(x, beta):
        return logistic(times(beta, x))

    @staticmethod
    def local(out, args, i, conv):
        return times(args[1 - i], out * (1.0 - out))  # β·σ(1 − σ) in x, x·σ(1 − σ) in β

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return 1 / (1 + sympy.exp(-beta * x))


class Tanh(_ScaledActivationBase):
    """tanh(βx), β = 1 unless given; tanh′ = 1 − tanh²."""

    name, latex = "tanh", r"\tanh"

    @classmethod
    def eval(cls, x, beta=None):
        if x.is_zero:
            return S.Zero

    def slope(self):
        return 1 - self**2

    @staticmethod
    def value(x, beta=1.0):
        return math.tanh(beta * x)

    @staticmethod
    def forward(x, beta):
        return np.tanh(times(beta, x))

    @staticmethod
    def local(out, args, i, conv):
        return times(args[1 - i], 1.0 - out * out)  # β·(1 − tanh²) in x, x·(1 − tanh²) in β

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return sympy.tanh(beta * x).rewrite(sympy.exp)


class ReLU(ActivationBase):
    """max(x, 0); its derivative is the unit step, ``relu_grad_at_zero`` at 0."""

    nargs = 1
    name, latex = "relu", r"\operatorname{ReLU}"
    kink = staticmethod(kink_at_zero)

    @classmethod
    def eval(cls, x):
        if x.is_number and x.is_extended_real:
            return sympy.Max(x, 0)

    def fdiff(self, argindex=1):
        """The unit step H(x), its value at 0 the exercise's relu_grad_at_zero."""
        if argindex != 1:
            raise ArgumentIndexError(self, argindex)
        return Heaviside(self.args[0], exact(current_conventions().relu_grad_at_zero))

    @staticmethod
    def value(x):
        return x if x > 0 else 0.0

    @staticmethod
    def forward(x):
        return np.maximum(x, 0.0)

    @staticmethod
    def local(out, args, i, conv):
        return slopes(args[0], 0.0, conv.relu_grad_at_zero, 1.0)

    def _eval_rewrite_as_exp(self, x, **kwargs):
        return sympy.Max(x, 0)


class LeakyReLU(ActivationBase):
    """x for x ≥ 0, βx below (β = 0.01 unless given, as PyTorch)."""

    nargs = (1, 2)
    name, latex = "leaky_relu", r"\operatorname{LeakyReLU}"
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
            h0 = 0 if at_zero is None or beta == 1 else (exact(at_zero) - beta) / (1 - beta)
            return beta + (1 - beta) * Heaviside(x, h0)
        if argindex == 2:
            return sympy.Min(x, 0)
        raise ArgumentIndexError(self, argindex)

    @staticmethod
    def value(x, beta=0.01):
        return x if x >= 0 else beta * x

    @staticmethod
    def forward(x, beta):
        return np.where(x >= 0, x, beta * x)

    @staticmethod
    def local(out, args, i, conv):
        x, beta = args
        if i == 1:
            return np.minimum(x, 0.0)  # the slope multiplies x only below 0
        at_zero = beta if conv.leaky_relu_grad_at_zero is None else conv.leaky_relu_grad_at_zero
        return slopes(x, beta, at_zero, 1.0)

    @staticmethod
    def kink(x, beta):
        # A slope of 1 below zero (β = 1) makes leaky ReLU the identity: no kink at 0.
        return np.sign(x) if np.any(beta != 1.0) else np.ones_like(x)


class Step(ActivationBase):
    """1 for x ≥ 0, β below (β = 0 unless given), as lecture 000 defines it."""

    nargs = (1, 2)
    name, latex = "step", r"\operatorname{step}"
    defaults = (Integer(0),)
    kink = staticmethod(kink_at_zero)

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

    @staticmethod
    def value(x, beta=0.0):
        return 1.0 if x >= 0 else beta

    @staticmethod
    def forward(x, beta):
        return np.where(x >= 0, 1.0, beta)

    @staticmethod
    def local(out, args, i, conv):
        x = args[0]
        return slopes(x, 0.0, conv.step_grad_at_zero, 0.0) if i == 0 else np.where(x < 0, 1.0, 0.0)


class Softplus(ActivationBase):
    """log(1 + e^(βx))/β, β = 1 unless given; its derivative is σ(βx)."""

    nargs = (1, 2)
    name, latex = "softplus", r"\operatorname{softplus}"
    defaults = (Integer(1),)

    def fdiff(self, argindex=1):
        """σ(βx) in x, (x·σ(βx) − softplus)/β in β."""
        x, beta = self.with_defaults()
        if argindex == 1:
            return Sigmoid(x, beta) if len(self.args) == 2 else Sigmoid(x)
        if argindex == 2:
            return (x * Sigmoid(beta * x) - self) / beta
        raise ArgumentIndexError(self, argindex)

    @staticmethod
    def value(x, beta=1.0):
        z = beta * x
        return (max(z, 0.0) + math.log1p(math.exp(-abs(z)))) / beta

    @staticmethod
    def forward(x, beta):
        z = times(beta, x)
        # max(z, 0) + log(1 + e^(−|z|)): never overflows, and exact to float64 for large |z|.
        return (np.maximum(z, 0.0) + np.log1p(np.exp(-np.abs(z)))) / beta

    @staticmethod
    def local(out, args, i, conv):
        x, beta = args
        gate = logistic(times(beta, x))
        return gate if i == 0 else (x * gate - out) / beta

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return sympy.log(1 + sympy.exp(beta * x)) / beta


class Swish(ActivationBase):
    """x·σ(βx), β = 1 unless given."""

    nargs = (1, 2)
    name, latex = "swish", r"\operatorname{swish}"
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

    @staticmethod
    def value(x, beta=1.0):
        return x * logistic_float(beta * x)

    @staticmethod
    def forward(x, beta):
        return x * logistic(times(beta, x))

    @staticmethod
    def local(out, args, i, conv):
        x, beta = args
        gate = logistic(times(beta, x))
        return gate + times(beta, x) * gate * (1.0 - gate) if i == 0 else x * x * gate * (1.0 - gate)

    def _eval_rewrite_as_exp(self, x, beta=1, **kwargs):
        return x / (1 + sympy.exp(-beta * x))


class ELU(ActivationBase):
    """x for x > 0, α(e^x − 1) otherwise (α = 1 unless given); slope α at 0, as PyTorch."""

    nargs = (1, 2)
    name, latex = "elu", r"\operatorname{ELU}"
    defaults = (Integer(1),)
    # Not smooth at 0 even with α = 1: its second derivative jumps there (0 above, α below), so
    # a central difference across 0 errs by about h·α/4, which is no witness at 1e-6.
    kink = staticmethod(kink_at_zero)

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

    @staticmethod
    def value(x, alpha=1.0):
        return x if x > 0 else alpha * math.expm1(x)

    @staticmethod
    def forward(x, alpha):
        return np.where(x > 0, x, alpha * np.expm1(np.minimum(x, 0.0)))

    @staticmethod
    def local(out, args, i, conv):
        x, alpha = args
        below = np.exp(np.minimum(x, 0.0))
        return np.where(x > 0, 1.0, alpha * below) if i == 0 else np.where(x > 0, 0.0, below - 1.0)


class Softmax(ActivationBase):
    """softmax(i, x1, …, xn) = e^(x_i)/Σ e^(x_j), with i counted from 1.

    >>> from sympy import symbols
    >>> a, b = symbols("a b")
    >>> Softmax(1, a, b).diff(b)
    -Softmax(1, a, b)*Softmax(2, a, b)
    """

    name, latex = "softmax", r"\operatorname{softmax}"
    indices = 1
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

    @staticmethod
    def value(index, *xs):
        top = max(xs)
        weights = [math.exp(x - top) for x in xs]
        return weights[int(index) - 1] / math.fsum(weights)

    @staticmethod
    def forward(index, *xs):
        top = np.maximum.reduce(np.broadcast_arrays(*xs))
        weights = [np.exp(x - top) for x in xs]
        return weights[int(index) - 1] / sum(weights)

    @staticmethod
    def local(out, args, i, conv):
        index, *xs = args
        if i == int(index):
            return out * (1.0 - out)  # ∂s_i/∂x_i = s_i(1 − s_i)
        return -out * Softmax.forward(i, *xs)  # ∂s_i/∂x_j = −s_i·s_j

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
    return 2 * Heaviside(expr.args[0], (exact(at_zero) + 1) / 2) - 1


def _heaviside_rule(expr, index):
    x = expr.args[0]
    if index == 1:
        return sympy.Integer(0)  # flat on both sides; at the jump 0, as for the step
    # The value at 0 moves it only there: 1 at x = 0, else 0, in steps the evaluators know.
    return 1 - Heaviside(x, 0) - Heaviside(-x, 0)


def _tie():
    return exact(current_conventions().max_grad_at_tie)


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
