"""Adding an activation touches one place: softsign, defined here alone, works everywhere.

softsign(x) = x/(1 + |x|), softsign′(x) = 1/(1 + |x|)². The network is s = w·x, h = softsign(s),
E = (t − h)²/2, so ∂E/∂w = −(t − h)·softsign′(s)·x. Expected numbers are worked out by hand
below, or come from torch.nn.functional.softsign and autograd.
"""

from __future__ import annotations

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from sympy.core.function import ArgumentIndexError

from symbackprop.core.functions import ACTIVATIONS, FUNCTIONS, ActivationBase, unregister
from symbackprop.engine.derivation import derive
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.layers import expand
from symbackprop.exercise.model import from_equations
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import read_questions
from symbackprop.numeric import evaluator as numeric
from symbackprop.numeric.check import check
from symbackprop.render.latex import latex
from symbackprop.render.latex_solution import gradient_latex
from symbackprop.render.plain import UnicodePrinter

EQUATIONS = {"s": "w*x", "h": "softsign(s)", "E": "(t - h)**2/2"}


@pytest.fixture
def softsign():
    """The activation, registered for one test and forgotten after it."""

    class Softsign(ActivationBase):
        """x/(1 + |x|); its derivative is 1/(1 + |x|)²."""

        nargs = 1
        name, latex = "softsign", r"\operatorname{softsign}"

        def fdiff(self, argindex=1):
            if argindex != 1:
                raise ArgumentIndexError(self, argindex)
            return 1 / (1 + sympy.Abs(self.args[0])) ** 2

        @staticmethod
        def value(x):
            return x / (1 + abs(x))

        @staticmethod
        def forward(x):
            return x / (1 + np.abs(x))

        @staticmethod
        def local(out, args, i, conv):
            return 1 / (1 + np.abs(args[0])) ** 2

    yield Softsign
    unregister(Softsign)
    assert "softsign" not in ACTIVATIONS and "softsign" not in FUNCTIONS


def _exercise(w: float, x: float = 2.0, t: float = 1.0):
    return from_equations(EQUATIONS, params=["w"], at={"w": w, "x": x, "t": t})


def _torch_gradient(w: float, x: float = 2.0, t: float = 1.0) -> float:
    weight = torch.tensor(w, dtype=torch.float64, requires_grad=True)
    loss = (t - F.softsign(weight * x)) ** 2 / 2
    loss.backward()
    return float(weight.grad)


def test_derive_gives_the_gradient_worked_by_hand(softsign):
    # w = 0.5, x = 2: s = 1, h = 1/2, softsign′(1) = 1/4, so ∂E/∂w = −(1 − 1/2)·(1/4)·2 = −1/4.
    assert derive(_exercise(0.5)).gradient("w").value == pytest.approx(-0.25, rel=1e-12)


@pytest.mark.parametrize("w", [0.5, -0.75, 1.3])
def test_symbolic_numpy_and_finite_differences_agree_with_torch(softsign, w):
    result = check(_exercise(w))
    assert result.ok, result.to_dict()
    assert result.params["w"].symbolic == pytest.approx(_torch_gradient(w), rel=1e-12)
    assert result.params["w"].numpy == pytest.approx(_torch_gradient(w), rel=1e-12)


def test_a_batch_matches_torch(softsign):
    xs = np.array([-2.0, -0.5, 0.25, 3.0])
    expected = sum(_torch_gradient(0.5, x) for x in xs)
    assert numeric.gradients(_exercise(0.5), inputs={"x": xs})["w"] == pytest.approx(expected, rel=1e-12)


def test_printed_by_its_latex_and_plain_names(softsign):
    s = sympy.Symbol("s1")
    assert latex(softsign(s)) == r"\operatorname{softsign}\left(s_{1}\right)"
    assert latex(softsign(s) ** 2) == r"\operatorname{softsign}\left(s_{1}\right)^{2}"
    assert UnicodePrinter().doprint(softsign(s)) == "softsign(s₁)"
    assert r"\operatorname{softsign}" in gradient_latex(derive(_exercise(0.5)).gradient("w"))


def test_a_layer_may_use_it(softsign):
    expansion = expand({"sizes": [1, 1], "activation": "softsign", "bias": False})
    assert ("x1_1", "softsign(net1_1)") in expansion.equations


@pytest.mark.parametrize(
    "answer",
    [
        "-(t - h)*x/(1 + abs(s))**2",
        "-(t - softsign(w*x))*x/(1 + abs(w*x))**2",
        r"-(t - h) \cdot \frac{x}{\left(1 + \operatorname{abs}(s)\right)^{2}}",
        r"-\left(t - \operatorname{softsign}(s)\right) x \left(1 + \operatorname{abs}(s)\right)^{-2}",
    ],
)
def test_grading_plain_and_latex_answers_with_its_derivative_written_out(softsign, answer):
    ex = _exercise(0.5)
    grader = Grader(ex, read_questions(ex, None))
    assert grader.grade("dE/dw", answer).verdict == "correct"


def test_grading_refuses_a_wrong_derivative(softsign):
    # softsign′ = 1/(1 + |s|), without the square, agrees nowhere but s = 0.
    ex = _exercise(0.5)
    grader = Grader(ex, read_questions(ex, None))
    assert grader.grade("dE/dw", "-(t - h)*x/(1 + abs(s))").verdict == "wrong"


def test_a_name_already_taken_is_refused():
    with pytest.raises(SymbackpropError, match="'exp' is already the name of a function"):

        class Exp(ActivationBase):
            name = "exp"

    with pytest.raises(SymbackpropError, match="'sigmoid' is already the name of a function"):

        class Other(ActivationBase):
            name = "sigmoid"

    assert ACTIVATIONS["sigmoid"].__name__ == "Sigmoid"
