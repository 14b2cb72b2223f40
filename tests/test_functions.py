"""The function library: each derivative against SymPy's own diff of the textbook formula."""

from __future__ import annotations

import math

import pytest
import sympy

from symbackprop.core.functions import (
    ELU,
    FUNCTIONS,
    Conventions,
    LeakyReLU,
    ReLU,
    Sigmoid,
    Softmax,
    Softplus,
    Step,
    Swish,
    Tanh,
    conventions_in_force,
    outer_derivative,
)
from symbackprop.errors import SymbackpropError

x = sympy.Symbol("x", real=True)
beta = sympy.Rational(3, 2)

# (our function of x, the textbook formula of the same function)
SMOOTH = [
    (Sigmoid(x), 1 / (1 + sympy.exp(-x))),
    (Sigmoid(x, beta), 1 / (1 + sympy.exp(-beta * x))),
    (Tanh(x), sympy.tanh(x)),
    (Tanh(x, beta), sympy.tanh(beta * x)),
    (Softplus(x), sympy.log(1 + sympy.exp(x))),
    (Softplus(x, beta), sympy.log(1 + sympy.exp(beta * x)) / beta),
    (Swish(x), x / (1 + sympy.exp(-x))),
    (Swish(x, beta), x / (1 + sympy.exp(-beta * x))),
]
POINTS = [-2.5, -0.3, 0.7, 3.1]


@pytest.mark.parametrize(("ours", "formula"), SMOOTH, ids=lambda v: str(v))
@pytest.mark.parametrize("at", POINTS)
def test_derivative_and_value_match_the_textbook_formula(ours, formula, at):
    expected_value = float(formula.subs(x, at))
    expected_slope = float(sympy.diff(formula, x).subs(x, at))
    assert float(ours.subs(x, at).evalf()) == pytest.approx(expected_value, rel=1e-12)
    assert type(ours).value(at, *[float(a) for a in ours.args[1:]]) == pytest.approx(expected_value, rel=1e-12)
    assert float(ours.diff(x).subs(x, at).evalf()) == pytest.approx(expected_slope, rel=1e-12)


def test_sigmoid_derivative_is_written_through_its_output():
    # Lecture 003: y = sigmoid(x) → dy/dx = y(1 − y); lecture 000: a'(x) = βa(x)(1 − a(x)).
    assert Sigmoid(x).fdiff() == Sigmoid(x) * (1 - Sigmoid(x))
    assert Sigmoid(x, beta).fdiff() == beta * Sigmoid(x, beta) * (1 - Sigmoid(x, beta))
    assert Tanh(x).fdiff() == 1 - Tanh(x) ** 2


@pytest.mark.parametrize("at", [-2.0, -0.5, 0.5, 2.0])
def test_piecewise_functions_away_from_their_kink(at):
    slope = 0.2
    cases = [
        (ReLU(x), max(at, 0.0), 1.0 if at > 0 else 0.0),
        (LeakyReLU(x, sympy.Rational(1, 5)), at if at >= 0 else slope * at, 1.0 if at > 0 else slope),
        (Step(x), 1.0 if at >= 0 else 0.0, 0.0),
        (Step(x, -1), 1.0 if at >= 0 else -1.0, 0.0),
        (ELU(x), at if at > 0 else math.exp(at) - 1, 1.0 if at > 0 else math.exp(at)),
    ]
    for ours, value, derivative in cases:
        assert float(ours.subs(x, at)) == pytest.approx(value)
        assert float(ours.diff(x).subs(x, at)) == pytest.approx(derivative)


def test_relu_derivative_at_zero_follows_the_convention():
    # Default 0 as PyTorch; lecture 000 writes a'(x) = 1 for x ≥ 0.
    assert ReLU(x).diff(x).subs(x, 0) == 0
    with conventions_in_force(Conventions(relu_grad_at_zero=1)):
        assert ReLU(x).diff(x).subs(x, 0) == 1


def test_leaky_relu_derivative_at_zero_is_its_slope_unless_set():
    slope = sympy.Rational(1, 10)
    assert LeakyReLU(x, slope).diff(x).subs(x, 0) == slope  # PyTorch's choice
    with conventions_in_force(Conventions(leaky_relu_grad_at_zero=1)):
        assert LeakyReLU(x, slope).diff(x).subs(x, 0) == 1


def test_max_and_abs_at_their_kinks_follow_the_conventions():
    a, b = sympy.symbols("a b", real=True)
    assert outer_derivative(sympy.Max(a, b), 1).subs({a: 1, b: 1}) == sympy.Rational(1, 2)
    with conventions_in_force(Conventions(max_grad_at_tie=1, abs_grad_at_zero=1)):
        assert outer_derivative(sympy.Max(a, b), 1).subs({a: 1, b: 1}) == 1
        assert outer_derivative(sympy.Min(a, b), 2).subs({a: 1, b: 1}) == 1
        assert outer_derivative(sympy.Abs(a), 1).subs(a, 0) == 1
        assert outer_derivative(sympy.Abs(a), 1).subs(a, -3) == -1
    assert outer_derivative(sympy.Abs(a), 1).subs(a, 0) == 0


def test_softmax_jacobian_is_s_i_times_delta_ij_minus_s_j():
    # Lecture 002: ∂S_i/∂z_j = S_i(δ_ij − S_j), checked against diff of the exp formula.
    z = sympy.symbols("z1:4", real=True)
    point = {z[0]: 1.058, z[1]: 0.013, z[2]: 0.568}
    for i in (1, 2, 3):
        formula = sympy.exp(z[i - 1]) / sum(sympy.exp(v) for v in z)
        for j in (1, 2, 3):
            ours = Softmax(i, *z).diff(z[j - 1]).subs(point).evalf()
            assert float(ours) == pytest.approx(float(sympy.diff(formula, z[j - 1]).subs(point)), rel=1e-12)


def test_softmax_index_must_be_in_range():
    with pytest.raises(SymbackpropError, match="whole number from 1 to 2"):
        Softmax(3, x, x + 1)


def test_conventions_reject_unknown_keys_and_non_numbers():
    with pytest.raises(SymbackpropError, match="unknown convention"):
        Conventions.from_mapping({"relu_at_zero": 1})
    for value in ("one", float("nan"), float("inf")):
        with pytest.raises(SymbackpropError, match="must be a finite number"):
            Conventions.from_mapping({"relu_grad_at_zero": value})
    with pytest.raises(SymbackpropError, match="only 0 is supported"):
        Conventions.from_mapping({"step_grad_at_zero": 1})
    assert Conventions.from_mapping({"relu_grad_at_zero": 1}).relu_grad_at_zero == 1.0


def test_every_spec_function_is_in_the_table():
    spec = "sigmoid tanh relu leaky_relu step softplus swish elu exp log sqrt sin cos max min abs softmax"
    assert set(spec.split()) <= set(FUNCTIONS)
