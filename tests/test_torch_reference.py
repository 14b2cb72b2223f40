"""PyTorch's autograd as the reference: every exercise and random graphs, NumPy and symbolic alike.

The equations are translated to torch operations here, op by op, with torch's own
definitions (torch.sigmoid, F.softplus, F.elu, torch.maximum, …); torch.autograd then
differentiates them. Its conventions at kinks are the library's defaults (relu′(0) = 0,
leaky_relu′(0) = β, ½ to each side of a tie, abs′(0) = 0), so with default conventions the
kinks are compared too.
"""

from __future__ import annotations

import functools
import math

import numpy as np
import pytest
import sympy
import torch
import torch.nn.functional as F
from conftest import EXERCISES
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from test_numeric import random_graphs

from symbackprop.core.functions import ELU, Conventions, LeakyReLU, ReLU, Sigmoid, Softmax, Softplus, Step, Swish, Tanh
from symbackprop.engine.derivation import derive
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations, load
from symbackprop.numeric import evaluator as numeric


def _arg(args, index, default):
    return args[index] if len(args) > index else torch.tensor(default, dtype=torch.float64)


def _softmax(index, *xs):
    stacked = torch.stack(torch.broadcast_tensors(*xs))
    return torch.softmax(stacked, dim=0)[int(index) - 1]


TORCH = {
    sympy.Add: lambda *a: functools.reduce(torch.add, a),
    sympy.Mul: lambda *a: functools.reduce(torch.mul, a),
    sympy.Pow: torch.pow,
    sympy.exp: torch.exp,
    sympy.log: torch.log,
    sympy.sin: torch.sin,
    sympy.cos: torch.cos,
    sympy.sech: lambda x: 1 / torch.cosh(x),
    sympy.Abs: torch.abs,
    sympy.Max: lambda *a: functools.reduce(torch.maximum, a),
    sympy.Min: lambda *a: functools.reduce(torch.minimum, a),
    Sigmoid: lambda *a: torch.sigmoid(_arg(a, 1, 1.0) * a[0]),
    Tanh: lambda *a: torch.tanh(_arg(a, 1, 1.0) * a[0]),
    ReLU: torch.relu,
    # torch.where, not F.leaky_relu, so that β may itself be a param; at 0 it takes βx's
    # branch, slope β, as F.leaky_relu does.
    LeakyReLU: lambda *a: torch.where(a[0] > 0, a[0], _arg(a, 1, 0.01) * a[0]),
    Step: lambda *a: torch.where(a[0] >= 0, torch.ones_like(a[0]), _arg(a, 1, 0.0) * torch.ones_like(a[0])),
    Softplus: lambda *a: F.softplus(_arg(a, 1, 1.0) * a[0], threshold=1e9) / _arg(a, 1, 1.0),
    Swish: lambda *a: a[0] * torch.sigmoid(_arg(a, 1, 1.0) * a[0]),
    ELU: lambda *a: F.elu(a[0], alpha=float(_arg(a, 1, 1.0))),
    Softmax: lambda index, *xs: _softmax(index, *xs),
    # torch.heaviside has no derivative; through where, a (the value at 0) gets one only at 0.
    sympy.Heaviside: lambda x, a: torch.where(x > 0, 1.0, torch.where(x < 0, 0.0, a * torch.ones_like(x))),
}


def _torch_value(expr: sympy.Expr, env: dict[str, torch.Tensor]) -> torch.Tensor:
    if expr.is_Symbol:
        return env[expr.name]
    if expr.is_number and not expr.has(sympy.Function):
        return torch.tensor(float(expr), dtype=torch.float64)
    args = [_torch_value(arg, env) for arg in expr.args]
    return TORCH[type(expr)](*args)


def torch_gradients(exercise, inputs=None, reduce=None) -> dict[str, float]:
    """∂loss/∂P by torch.autograd, the loss summed or averaged over the samples."""
    point = {name: float(value) for name, value in (exercise.point or {}).items()}
    env = {
        name: torch.tensor(value, dtype=torch.float64, requires_grad=name in exercise.params)
        for name, value in point.items()
    }
    data = {name: [float(v) for v in values] for name, values in exercise.data.items()} | dict(inputs or {})
    env |= {name: torch.tensor(np.asarray(values, dtype=np.float64)) for name, values in data.items()}
    for node, rhs in exercise.equations.items():
        env[node] = _torch_value(rhs, env)
    loss = env[exercise.loss]
    samples = len(next(iter(data.values()))) if data else 1
    loss = loss.sum() if loss.dim() else loss * samples
    if (reduce or exercise.reduce) == "mean":
        loss = loss / samples
    used = [name for name in exercise.params if name in env]  # a param no equation uses has no value
    found = dict.fromkeys(exercise.params, 0.0)
    if not loss.requires_grad:  # no param reaches the loss
        return found
    grads = torch.autograd.grad(loss, [env[name] for name in used], allow_unused=True)
    return found | {name: 0.0 if g is None else float(g) for name, g in zip(used, grads, strict=True)}


ALL = sorted(EXERCISES.glob("*.toml"))


@pytest.mark.parametrize("path", ALL, ids=[path.stem for path in ALL])
def test_every_exercise_matches_torch(path):
    ex = load(path)
    expected = torch_gradients(ex)
    found = numeric.gradients(ex)
    symbolic = derive(ex)
    at_default = ex.conventions == Conventions()
    for param in ex.params:
        # A file with its own [conventions] may differ from torch only exactly at a kink; none
        # of these points is at one, which is what comparing them checks.
        assert found[param] == pytest.approx(expected[param], rel=1e-9, abs=1e-12), (param, at_default)
        assert symbolic.gradient(param).value == pytest.approx(expected[param], rel=1e-9, abs=1e-12), param


def test_the_two_branch_network_over_a_batch_matches_torch():
    ex = load("two-branch-sigmoid")
    rng = np.random.default_rng(4)
    # One exercise object, batches of several sizes one after the other: one block, several
    # blocks with a short last one, and a tiny batch, on one tape.
    for samples in (1000, 2 * numeric.BLOCK + 123, 3):
        inputs = {"x_t": rng.normal(size=samples), "y_t": rng.normal(size=samples)}
        for reduce in ("sum", "mean"):
            expected = torch_gradients(ex, inputs, reduce)
            found = numeric.gradients(ex, inputs=inputs, reduce=reduce)
            for param in ex.params:
                assert found[param] == pytest.approx(expected[param], rel=1e-10), (samples, reduce, param)


@pytest.mark.parametrize(
    "loss",
    [
        "(t - sigmoid(a*h) - sigmoid(b*h) - c*h)**2/2",  # the third path's gradient c·g
        "(t - c*h - sigmoid(a*h) - sigmoid(b*h))**2/2",
        "(t - h - sigmoid(a*h) - c*h**2)**2/2",  # paths whose gradients are plain arrays
    ],
)
def test_three_or_more_paths_into_one_value_over_a_batch_match_torch(loss):
    # Over a batch the gradients along the paths into h are summed per sample; from the third
    # path on, each is added to the sum so far.
    at = {"w": 0.3, "a": 0.5, "b": -1.2, "c": 0.7, "x": 0.0, "t": 0.2}
    ex = from_equations({"h": "sigmoid(w*x)", "E": loss}, params=["w", "a", "b", "c"], at=at)
    inputs = {"x": np.linspace(-2, 2, 9)}
    expected = torch_gradients(ex, inputs)
    found = numeric.gradients(ex, inputs=inputs)
    for param in ex.params:
        assert found[param] == pytest.approx(expected[param], rel=1e-12), param


@pytest.mark.parametrize("beta", ["a*t", "w*x", "a"])
def test_a_sigmoid_whose_beta_is_a_product_over_a_batch_matches_torch(beta):
    # σ's β may itself be a product, per sample or shared, as its argument may.
    equations = {"E": f"sigmoid(w*x, {beta})"}
    at = {name: value for name, value in {"a": 0.5, "w": -0.8, "x": 0.0, "t": 0.0}.items() if name in equations["E"]}
    ex = from_equations(equations, params=[name for name in ("a", "w") if name in at], at=at)
    inputs = {
        name: np.array(values) for name, values in {"x": [-2.0, 1.0, 0.4], "t": [0.3, 1.0, -1.5]}.items() if name in at
    }
    expected = torch_gradients(ex, inputs)
    found = numeric.gradients(ex, inputs=inputs)
    for param in ex.params:
        assert found[param] == pytest.approx(expected[param], rel=1e-12, abs=1e-15), param


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(graph=random_graphs(), at_zero=st.booleans())
def test_random_graphs_match_torch(graph, at_zero):
    # At zero every relu, abs, step and leaky_relu sits at its kink and max/min of equal
    # leaves tie: torch's conventions there are the library's defaults.
    equations, point = graph
    if at_zero:
        point = dict.fromkeys(point, 0.0)
    try:
        ex = from_equations(equations, params=["a", "b", "c"], at=point)
    except SymbackpropError:
        assume(False)
    result = numeric.backprop(ex)
    assume(math.isfinite(result.loss) and abs(result.loss) < 1e6)
    expected = torch_gradients(ex)
    symbolic = derive(ex)
    for param in ex.params:
        assert result.gradients[param] == pytest.approx(expected[param], rel=1e-9, abs=1e-12), param
        assert symbolic.gradient(param).value == pytest.approx(expected[param], rel=1e-9, abs=1e-12), param


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(
    graph=random_graphs(),
    xs=st.lists(st.floats(-2, 2).map(lambda v: round(v, 2)), min_size=2, max_size=6),
    reduce=st.sampled_from(["sum", "mean"]),
)
def test_random_graphs_over_a_batch_match_torch(graph, xs, reduce):
    # Over a batch, values and gradients per sample meet params shared by every sample in
    # every op of the library: each such meeting is checked here.
    equations, point = graph
    try:
        ex = from_equations(equations, params=["a", "b", "c"], at=point)
    except SymbackpropError:
        assume(False)
    inputs = {"x": np.array(xs)}
    result = numeric.backprop(ex, inputs=inputs, reduce=reduce)
    assume(math.isfinite(result.loss) and abs(result.loss) < 1e6)
    expected = torch_gradients(ex, inputs, reduce)
    for param in ex.params:
        assert result.gradients[param] == pytest.approx(expected[param], rel=1e-9, abs=1e-12), param
