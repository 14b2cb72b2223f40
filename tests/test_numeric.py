"""The NumPy evaluator against hand derivations, the symbolic engine and finite differences.

Expected numbers come from derivations written out here, from central differences, or
from the symbolic engine (for the random graphs: the property is that the independent
engines agree). PyTorch is the fourth witness, in test_torch_reference.py.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import math
import sys

import numpy as np
import pytest
import sympy
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from symbackprop.core.functions import Conventions
from symbackprop.engine.derivation import derive
from symbackprop.errors import EvaluationError, SymbackpropError
from symbackprop.exercise.model import from_equations, load
from symbackprop.numeric import evaluator as numeric
from symbackprop.numeric.finite_difference import FD_STEP, finite_difference
from symbackprop.numeric.memory import keep_freed_memory

# ---------------------------------------------------------------------------------------------
# Hand derivations
# ---------------------------------------------------------------------------------------------


def test_fx_plus_y_times_z_matches_lecture_001():
    # f = (x + y)z at x = −2, y = 5, z = −4: ∂f/∂x = ∂f/∂y = z = −4, ∂f/∂z = x + y = 3.
    assert numeric.gradients(load("fx-plus-y-times-z")) == {"x": -4.0, "y": -4.0, "z": 3.0}


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_two_branch_sigmoid_matches_the_chain_rule_written_out():
    w1, w2, w3, w4, w5, x, t = 1.0, 0.5, -1.0, 1.5, -0.5, 1.0, 1.0  # the exercise's [at]
    h1 = _sigmoid(w1 * x)
    h2, h3 = _sigmoid(w2 * h1), _sigmoid(w3 * h1)
    y = w4 * h2 + w5 * h3
    d_y = -(t - y)
    expected = {
        "w1": d_y * (w4 * h2 * (1 - h2) * w2 + w5 * h3 * (1 - h3) * w3) * h1 * (1 - h1) * x,
        "w2": d_y * w4 * h2 * (1 - h2) * h1,
        "w3": d_y * w5 * h3 * (1 - h3) * h1,
        "w4": d_y * h2,
        "w5": d_y * h3,
    }
    found = numeric.gradients(load("two-branch-sigmoid"))
    for name, value in expected.items():
        assert found[name] == pytest.approx(value, rel=1e-12), name


def test_a_product_feeding_two_ops_over_a_batch_is_right_for_both():
    # s = w·x feeds σ and tanh: two paths into s, each with a gradient per sample.
    equations = {"s": "w*x", "E": "(t - sigmoid(s) - tanh(s))**2/2"}
    ex = from_equations(equations, params=["w"], at={"w": 0.7, "t": 0.3, "x": 0.0})
    x = np.array([-1.5, 0.0, 0.4, 2.0])
    s = 0.7 * x
    sig, tanh = 1 / (1 + np.exp(-s)), np.tanh(s)
    residual = 0.3 - sig - tanh
    # ∂E/∂w = Σ −(t − σ − tanh)·(σ(1 − σ) + 1 − tanh²)·x
    expected = np.sum(-residual * (sig * (1 - sig) + 1 - tanh**2) * x)
    result = numeric.backprop(ex, inputs={"x": x})
    assert result.gradients["w"] == pytest.approx(expected, rel=1e-12)
    assert result.loss == pytest.approx(np.sum(residual**2 / 2), rel=1e-12)
    assert numeric.forward(ex, inputs={"x": x})["s"] == pytest.approx(s, rel=1e-15)


LINEAR = from_equations(
    {"y": "w*x + b", "E": "(t - y)**2/2"}, params=["w", "b"], at={"w": 0.5, "b": -1, "x": 0, "t": 0}
)


@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_a_batch_sums_or_averages_the_per_sample_gradients(reduce):
    x = np.array([1.0, 2.0, -3.0, 0.5])
    t = np.array([0.0, 1.0, 2.0, -1.0])
    residual = t - (0.5 * x - 1.0)
    # ∂E/∂w = −Σ (t − y)·x, ∂E/∂b = −Σ (t − y); the mean divides by the 4 samples.
    scale = 1.0 if reduce == "sum" else 0.25
    result = numeric.backprop(LINEAR, inputs={"x": x, "t": t}, reduce=reduce)
    assert result.gradients["w"] == pytest.approx(-scale * np.sum(residual * x), rel=1e-12)
    assert result.gradients["b"] == pytest.approx(-scale * np.sum(residual), rel=1e-12)
    assert result.loss == pytest.approx(scale * np.sum(residual**2 / 2), rel=1e-12)
    assert result.samples == 4


@pytest.mark.parametrize("reduce", ["sum", "mean"])
def test_a_batch_worked_in_several_blocks_gives_the_whole_batch_gradient(monkeypatch, reduce):
    monkeypatch.setattr(numeric, "BLOCK", 7)  # 50 samples: blocks of 7, the last one short
    rng = np.random.default_rng(1)
    x, t = rng.normal(size=50), rng.normal(size=50)
    residual = t - (0.5 * x - 1.0)
    scale = 1.0 if reduce == "sum" else 1 / 50
    result = numeric.backprop(LINEAR, inputs={"x": x, "t": t}, reduce=reduce)
    assert result.gradients["w"] == pytest.approx(-scale * np.sum(residual * x), rel=1e-12)
    assert result.gradients["b"] == pytest.approx(-scale * np.sum(residual), rel=1e-12)
    assert result.loss == pytest.approx(scale * np.sum(residual**2 / 2), rel=1e-12)


def test_threads_sharing_one_exercise_each_get_their_own_batch_gradient(monkeypatch):
    # Two threads on one exercise (one tape) must not mix their batches' values. Each batch is
    # several blocks, so both threads are mid-batch at the same time.
    monkeypatch.setattr(numeric, "BLOCK", 4096)  # big enough for NumPy to let go of the GIL in each op
    batches = [np.random.default_rng(seed).normal(size=(2, 20_000)) for seed in range(8)]

    def gradient_w(batch):
        x, t = batch
        return numeric.gradients(LINEAR, inputs={"x": x, "t": t})["w"]

    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads between almost every two ops
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=4) as pool:
            found = list(pool.map(gradient_w, batches))
    finally:
        sys.setswitchinterval(interval)
    for (x, t), w in zip(batches, found, strict=True):
        assert w == pytest.approx(-np.sum((t - (0.5 * x - 1.0)) * x), rel=1e-12)  # −Σ (t − y)·x


def test_a_value_that_does_not_exist_in_a_later_block_names_its_sample(monkeypatch):
    monkeypatch.setattr(numeric, "BLOCK", 4)
    ex = from_equations({"u": "log(a*x)", "E": "u*2"}, params=["a"], at={"a": 1, "x": 1})
    with pytest.raises(EvaluationError, match=r"sample 6\)"):
        numeric.gradients(ex, inputs={"x": [1.0, 2, 3, 4, 5, -6, 7]})


def test_params_may_be_overridden_and_an_input_may_be_shared_by_all_samples():
    # t is one number for every sample; the gradient still counts every sample.
    found = numeric.gradients(LINEAR, inputs={"x": [1.0, 1.0, 1.0], "t": 2.0}, params={"w": 1.0, "b": 0.0})
    assert found == {"w": pytest.approx(-3.0), "b": pytest.approx(-3.0)}  # 3 × −(2 − 1)


def test_a_loss_the_same_for_every_sample_counts_once_per_sample():
    # E does not use the data (only u does): its sum over 3 samples is 3·w², so ∂/∂w = 6w.
    ex = from_equations({"u": "2*x", "E": "w**2"}, loss="E", params=["w"], at={"w": 2.0, "x": 0})
    assert numeric.gradients(ex, inputs={"x": [1.0, 2.0, 3.0]}) == {"w": pytest.approx(12.0)}


def test_data_in_the_exercise_is_used_with_its_reduce():
    ex = from_equations(
        {"E": "(t - w*x)**2/2"}, params=["w"], at={"w": 1.0}, data={"x": [1, 2], "t": [0, 0]}, reduce="mean"
    )
    # ½·(−(0 − 1)·1 + −(0 − 2)·2) = 2.5
    assert numeric.gradients(ex) == {"w": pytest.approx(2.5)}


def test_a_beta_can_be_a_param():
    # σ(βx) with respect to β is x·σ(βx)(1 − σ(βx)).
    ex = from_equations({"E": "sigmoid(x, beta)"}, params=["beta"], at={"beta": 0.7, "x": 1.3})
    s = _sigmoid(0.7 * 1.3)
    assert numeric.gradients(ex)["beta"] == pytest.approx(1.3 * s * (1 - s), rel=1e-12)


@pytest.mark.parametrize(
    ("equation", "expected"),
    [
        ("exp(a)", math.exp(0.3)),
        ("log(a)", 1 / 0.3),
        ("sin(a)", math.cos(0.3)),
        ("cos(a)", -math.sin(0.3)),
        ("sech(a)", -math.tanh(0.3) / math.cosh(0.3)),  # sech′ = −sech·tanh
        ("sqrt(a)", 0.5 / math.sqrt(0.3)),
        ("a**3", 3 * 0.3**2),
        ("2**a", 2**0.3 * math.log(2)),
        ("tanh(a, 2)", 2 * (1 - math.tanh(0.6) ** 2)),
        ("softplus(a, 2)", _sigmoid(0.6)),
        ("swish(a)", _sigmoid(0.3) + 0.3 * _sigmoid(0.3) * (1 - _sigmoid(0.3))),
        ("elu(a - 1, 2)", 2 * math.exp(-0.7)),
        ("elu(a, 2)", 1.0),
        ("leaky_relu(a - 1, 0.1)", 0.1),
        ("relu(a)", 1.0),
        ("step(a - 1, 3)", 0.0),
        ("abs(a - 1)", -1.0),
        ("max(a, 1)", 0.0),
        ("min(a, 1)", 1.0),
        ("softmax(1, a, 2*a)", None),  # s1(1 − s1) − s1·s2·2, filled in below
    ],
)
def test_each_rule_against_its_derivative_written_out(equation, expected):
    if expected is None:
        s1 = math.exp(0.3) / (math.exp(0.3) + math.exp(0.6))
        expected = s1 * (1 - s1) - 2 * s1 * (1 - s1)
    ex = from_equations({"E": equation}, params=["a"], at={"a": 0.3})
    assert numeric.gradients(ex)["a"] == pytest.approx(expected, rel=1e-12, abs=1e-15)


# ---------------------------------------------------------------------------------------------
# Conventions at kinks, exactly at the kink. Symbolic and NumPy must both follow [conventions];
# a finite difference cannot: it sees both sides of the kink and gives their mean, whatever
# the convention (tested below, where that is what it should give).
# ---------------------------------------------------------------------------------------------

conventions = st.builds(
    Conventions,
    relu_grad_at_zero=st.sampled_from([0.0, 0.5, 1.0]),
    leaky_relu_grad_at_zero=st.one_of(st.none(), st.sampled_from([0.0, 1.0])),
    max_grad_at_tie=st.sampled_from([0.0, 0.5, 1.0]),
    abs_grad_at_zero=st.sampled_from([-1.0, 0.0, 1.0]),
)


def _at_kink(kink: str, conv: Conventions, c: float, t: float):
    """E = (t − c·K)²/2 where K's argument is p − q with p = q: exactly at the kink.

    Returns the exercise and ∂E/∂p worked out by hand: −(t − c·K)·c·K′ with K′ the convention.
    """
    slope, value = {
        "relu(k)": (conv.relu_grad_at_zero, 0.0),
        "leaky_relu(k, 0.2)": (0.2 if conv.leaky_relu_grad_at_zero is None else conv.leaky_relu_grad_at_zero, 0.0),
        "abs(k)": (conv.abs_grad_at_zero, 0.0),
        "max(k, 0)": (conv.max_grad_at_tie, 0.0),
        "min(k, 0)": (conv.max_grad_at_tie, 0.0),
        "step(k)": (0.0, 1.0),
        "heaviside(k, 0.25)": (0.0, 0.25),  # flat, and 0.25 at the jump
    }[kink]
    ex = from_equations(
        {"k": "p - q", "K": kink, "E": "(t - c*K)**2/2"},
        params=["p", "q", "c"],
        at={"p": 0.75, "q": 0.75, "c": c, "t": t},
        conventions=conv,
    )
    return ex, -(t - c * value) * c * slope


KINKS = ["relu(k)", "leaky_relu(k, 0.2)", "abs(k)", "max(k, 0)", "min(k, 0)", "step(k)", "heaviside(k, 0.25)"]


@settings(max_examples=60, deadline=None)
@given(
    kink=st.sampled_from(KINKS),
    conv=conventions,
    c=st.floats(-2, 2).filter(lambda v: abs(v) > 0.1),
    t=st.floats(-2, 2),
)
def test_at_a_kink_symbolic_and_numpy_follow_the_conventions(kink, conv, c, t):
    ex, expected = _at_kink(kink, conv, c, t)
    assert numeric.gradients(ex)["p"] == pytest.approx(expected, abs=1e-12)
    assert derive(ex).gradient("p").value == pytest.approx(expected, abs=1e-12)
    # q enters with the opposite sign, through the same kink
    assert numeric.gradients(ex)["q"] == pytest.approx(-expected, abs=1e-12)


@pytest.mark.parametrize(
    ("kink", "left", "right"),
    [("relu(k)", 0.0, 1.0), ("abs(k)", -1.0, 1.0), ("max(k, 0)", 0.0, 1.0), ("leaky_relu(k, 0.2)", 0.2, 1.0)],
)
def test_a_finite_difference_at_a_kink_is_flagged_and_gives_the_mean_of_both_sides(kink, left, right):
    # E = K(p − q), p = q: the central difference sees (right + left)/2, whatever the convention.
    for conv in (Conventions(), Conventions(relu_grad_at_zero=1, abs_grad_at_zero=1, max_grad_at_tie=1)):
        ex = from_equations({"k": "p - q", "E": kink}, params=["p"], at={"p": 0.5, "q": 0.5}, conventions=conv)
        fd = finite_difference(ex, "p")
        assert fd.kink is not None
        assert fd.value == pytest.approx((left + right) / 2, rel=1e-9)


def test_a_finite_difference_whose_step_straddles_a_kink_is_flagged():
    ex = from_equations({"E": "relu(p - 1e-7)"}, params=["p"], at={"p": 0})
    assert finite_difference(ex, "p").kink == "relu(p - 1/10000000)".replace("relu", "ReLU")


def test_a_kink_the_param_does_not_move_does_not_spoil_its_finite_difference():
    ex = from_equations({"E": "relu(x)*w"}, params=["w"], at={"w": 2, "x": 0})
    fd = finite_difference(ex, "w")
    assert fd.kink is None and fd.value == 0.0


# ---------------------------------------------------------------------------------------------
# Finite differences away from kinks, against derivatives written out.
# ---------------------------------------------------------------------------------------------


@given(w=st.floats(-3, 3), x=st.floats(-3, 3))
@settings(max_examples=50, deadline=None)
def test_finite_difference_of_a_sigmoid_loss(w, x):
    s = _sigmoid(w * x)
    ex = from_equations({"E": "(1 - sigmoid(w*x))**2/2"}, params=["w"], at={"w": w, "x": x})
    fd = finite_difference(ex, "w")
    assert fd.kink is None
    assert fd.value == pytest.approx(-(1 - s) * s * (1 - s) * x, rel=1e-6, abs=1e-9)


# ---------------------------------------------------------------------------------------------
# Random graphs drawn from the function library: symbolic, NumPy and finite differences agree.
# ---------------------------------------------------------------------------------------------

UNARY = [
    "sigmoid({})",
    "sigmoid({}, 1.5)",
    "tanh({})",
    "tanh({}, 0.5)",
    "relu({})",
    "leaky_relu({})",
    "leaky_relu({}, 0.2)",
    "step({}, 0.5)",
    "heaviside({}, 0.25)",
    "softplus({})",
    "softplus({}, 2)",
    "swish({})",
    "swish({}, 0.5)",
    "elu({})",
    "elu({}, 0.5)",
    "exp({}/4)",
    "log(1 + {}**2)",
    "sqrt(1 + {}**2)",
    "sin({})",
    "cos({})",
    "sech({})",
    "abs({})",
    "{}**2",
    "{}**3/3",
]
BINARY = [
    "{} + {}",
    "{} - {}",
    "{}*{}",
    "{}/(1 + {}**2)",
    "max({}, {})",
    "min({}, {})",
    "softmax(1, {}, {})",
    "softmax(2, {}, {}, 0.5)",
]
LEAVES = ["a", "b", "c", "x"]  # a, b, c are params; x is an input


@st.composite
def random_graphs(draw):
    """Up to six equations, each a library function of earlier names; the loss sums the last two."""
    names = list(LEAVES)
    equations = {}
    for index in range(draw(st.integers(2, 6))):
        if draw(st.booleans()):
            text = draw(st.sampled_from(UNARY)).format(draw(st.sampled_from(names)))
        else:
            first, second = draw(st.sampled_from(names)), draw(st.sampled_from(names))
            text = draw(st.sampled_from(BINARY)).format(first, second)
        name = f"n{index}"
        equations[name] = text
        names.append(name)
    equations["E"] = f"({names[-1]} + {names[-2]} - t)**2/2"
    point = {name: draw(st.floats(-2, 2).map(lambda v: round(v, 3))) for name in ("a", "b", "c", "x", "t")}
    return equations, point


def _exercise(equations, point, conv=None):
    try:
        return from_equations(equations, params=["a", "b", "c"], at=point, conventions=conv)
    except SymbackpropError:
        return None  # e.g. a graph whose equations collapse to a bare constant


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(graph=random_graphs())
def test_random_graphs_symbolic_numpy_and_finite_differences_agree(graph):
    equations, point = graph
    ex = _exercise(equations, point)
    assume(ex is not None)
    result = numeric.backprop(ex)
    assume(math.isfinite(result.loss) and abs(result.loss) < 1e6)
    derivation = derive(ex)
    scale = max(1.0, abs(result.loss))
    for param in ex.params:
        symbolic = derivation.gradient(param).value
        found = result.gradients[param]
        assert found == pytest.approx(symbolic, rel=1e-9, abs=1e-12 * scale), param
        fd = finite_difference(ex, param)
        if fd.kink is None:  # at a kink the convention decides, and FD cannot see it (tested above)
            assert fd.value == pytest.approx(found, rel=1e-5, abs=1e-6 * scale), param


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(graph=random_graphs(), conv=conventions)
def test_random_graphs_at_kinks_symbolic_and_numpy_follow_the_same_conventions(graph, conv):
    # Every leaf at 0 puts relu, abs, step, leaky_relu and ties of max/min exactly at their kinks.
    equations, point = graph
    ex = _exercise(equations, dict.fromkeys(point, 0.0), conv)
    assume(ex is not None)
    result = numeric.backprop(ex)
    derivation = derive(ex)
    for param in ex.params:
        assert result.gradients[param] == pytest.approx(derivation.gradient(param).value, rel=1e-9, abs=1e-12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.filter_too_much, HealthCheck.too_slow])
@given(
    graph=random_graphs(),
    xs=st.lists(st.floats(-2, 2), min_size=1, max_size=5),
    reduce=st.sampled_from(["sum", "mean"]),
)
def test_a_batch_gives_the_sum_or_mean_of_one_sample_at_a_time(graph, xs, reduce):
    equations, point = graph
    ex = _exercise(equations, point)
    assume(ex is not None)
    batch = numeric.gradients(ex, inputs={"x": np.array(xs)}, reduce=reduce)
    one_by_one = [numeric.gradients(ex, inputs={"x": value}) for value in xs]
    scale = 1.0 if reduce == "sum" else 1.0 / len(xs)
    for param in ex.params:
        expected = scale * math.fsum(g[param] for g in one_by_one)
        assert batch[param] == pytest.approx(expected, rel=1e-9, abs=1e-12)


# ---------------------------------------------------------------------------------------------
# Errors
# ---------------------------------------------------------------------------------------------


def test_an_op_with_no_rule_is_named():
    ex = from_equations({"E": "sin(a)"}, params=["a"], at={"a": 1})
    a = ex.symbols["a"]
    broken = dataclasses.replace(ex, equations={"E": sympy.tan(a)})
    with pytest.raises(SymbackpropError, match="no rule for tan"):
        numeric.gradients(broken)


def test_a_value_that_does_not_exist_names_the_node():
    ex = from_equations({"u": "log(a*x)", "E": "u*2"}, params=["a"], at={"a": 1, "x": 1})
    with pytest.raises(EvaluationError, match=r"graph\.u: u has no finite value \(sample 2\)"):
        numeric.gradients(ex, inputs={"x": [1.0, -1.0]})


@pytest.mark.parametrize(
    ("inputs", "message"),
    [
        ({"x": [1.0, 2.0], "t": [1.0]}, "one value per sample"),
        ({"x": [[1.0]]}, "one value per sample"),
        ({"nope": 1.0}, "'nope' is not an input or param"),
    ],
)
def test_bad_batches_are_one_clear_error(inputs, message):
    with pytest.raises(SymbackpropError, match=message):
        numeric.gradients(LINEAR, inputs=inputs)


def test_gradients_are_taken_with_respect_to_inputs_and_params_only():
    # ∂E/∂x for E = (t − (w·x + b))²/2 is −(t − y)·w: at x = 1, y = −0.5, so −(0 + 0.5)·0.5.
    assert numeric.backprop(LINEAR, wrt=["x"], inputs={"x": [1.0]}).gradients == {"x": pytest.approx(-0.25)}
    with pytest.raises(SymbackpropError, match="'y' is not an input or param"):
        numeric.backprop(LINEAR, wrt=["y"])


def test_the_gradient_for_an_input_with_a_value_per_sample_is_summed_over_them():
    # E = w·x: ∂E/∂x_i = w for every sample, however the engine comes to hold it (one number
    # for all samples here), and through σ: ∂/∂x_i σ(w·x_i) = w·σ(1 − σ). Summed over the batch.
    x = np.array([1.0, 2.0, 3.0])
    linear = from_equations({"E": "w*x"}, params=["w"], at={"w": 0.5, "x": 0.0})
    assert numeric.backprop(linear, wrt=["x"], inputs={"x": x}).gradients["x"] == pytest.approx(3 * 0.5)
    curved = from_equations({"E": "sigmoid(w*x)"}, params=["w"], at={"w": 0.5, "x": 0.0})
    s = 1 / (1 + np.exp(-0.5 * x))
    assert numeric.backprop(curved, wrt=["x"], inputs={"x": x}).gradients["x"] == pytest.approx(
        np.sum(0.5 * s * (1 - s))
    )


def test_a_loss_whose_total_over_the_batch_overflows_is_an_error():
    # Each sample's loss is 1e308, finite; their sum is not.
    ex = from_equations({"E": "w*x"}, params=["w"], at={"w": 1.0, "x": 0.0})
    with pytest.raises(EvaluationError, match="its total over the batch is not"):
        numeric.gradients(ex, inputs={"x": [1e308, 1e308]})


def test_a_small_factor_times_large_values_keeps_the_order_that_does_not_overflow():
    # a·x per sample is 1e298, and the loss 2e298; Σx alone (2e308) would overflow.
    ex = from_equations({"E": "a*x"}, params=["a"], at={"a": 1e-10, "x": 0.0})
    assert numeric.loss(ex, inputs={"x": [1e308, 1e308]}) == pytest.approx(2e298)
    # a·x·u: a·x first is 1e-100, then 1e100; x·u first would be 1e400, out of range.
    ex = from_equations({"E": "a*x*u"}, params=["a"], at={"a": 1e-300, "x": 0.0, "u": 0.0})
    assert numeric.loss(ex, inputs={"x": [1e200, 1.0], "u": [1e200, 1.0]}) == pytest.approx(1e100)
    # ∂E/∂a = Σ k·u·x for E = (a·x)(k·u): k·u first is 1e-100, Σ u·x first would overflow.
    ex = from_equations({"s": "a*x", "v": "k*u", "E": "s*v"}, params=["a"], at={"a": 1.0, "k": 1e-300, "x": 0, "u": 0})
    assert numeric.gradients(ex, inputs={"x": [1e200, 1.0], "u": [1e200, 1.0]})["a"] == pytest.approx(1e100)


def test_values_returned_by_forward_are_the_callers_to_change():
    # s = 1·x is x's own array inside the evaluator; changing what forward returns must not
    # change the exercise's data or the next result.
    ex = from_equations({"s": "w*x", "E": "(t - s)**2/2"}, params=["w"], at={"w": 1.0, "t": 0.0}, data={"x": [1, 2]})
    values = numeric.forward(ex)
    values["s"] *= 10
    values["x"][:] = 0
    assert numeric.gradients(ex) == {"w": pytest.approx(1.0 + 4.0)}  # Σ −(0 − x)·x


def test_sech_far_from_zero_is_zero_in_both_evaluators_not_an_overflow():
    # cosh(800) overflows a float; sech(800) = 2/(e^800 + e^-800) underflows to 0, as does its slope.
    ex = from_equations({"E": "sech(w*x)"}, params=["w"], at={"w": 1.0, "x": 800.0})
    assert numeric.loss(ex) == 0.0
    assert numeric.gradients(ex) == {"w": 0.0}
    assert derive(ex).gradient("w").value == 0.0


def test_reduce_must_be_sum_or_mean():
    with pytest.raises(SymbackpropError, match='"sum" or "mean"'):
        numeric.gradients(LINEAR, reduce="max")


def test_elu_at_zero_is_a_kink_for_finite_differences_even_with_alpha_1():
    # E = (a·c + elu(a) − t)²/2 at a = 0, c = −1, t = 1: ∂E/∂a = (0 − 1)(−1 + 1) = 0 exactly, but
    # elu″ jumps at 0 (0 above, 1 below), so (E(h) − E(−h))/2h = h/4 + O(h²), not 0.
    ex = from_equations({"E": "(a*c + elu(a) - t)**2/2"}, params=["a"], at={"a": 0.0, "c": -1.0, "t": 1.0})
    fd = finite_difference(ex, "a")
    assert fd.kink is not None and fd.value == pytest.approx(FD_STEP / 4, rel=1e-3)
    assert numeric.gradients(ex)["a"] == 0.0


def test_keeping_freed_memory_is_asked_once_and_changes_no_result():
    # glibc's mallopt where there is one; elsewhere a no-op. Either way the numbers are the same.
    assert keep_freed_memory() in (True, False)
    assert keep_freed_memory() is keep_freed_memory()
    assert numeric.gradients(load("fx-plus-y-times-z")) == {"x": -4.0, "y": -4.0, "z": 3.0}
