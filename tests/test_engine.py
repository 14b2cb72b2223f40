"""The chain-rule engine against the lectures, hand algebra and plain SymPy."""

from __future__ import annotations

import math
import pickle
import tomllib

import pytest
import sympy
from conftest import EXERCISES
from reference import plain_gradient, sigmoid

from symbackprop.core.functions import Sigmoid, Softmax, Tanh
from symbackprop.engine.derivation import Derivation, derive, derive_available, gradients, values_to_show
from symbackprop.engine.local import local_derivative
from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations, load, symbol
from symbackprop.parse.printer import plain


def graph_exercises():
    """Exercise files written as [graph] equations ([layers] files have their own tests)."""
    return [path for path in sorted(EXERCISES.glob("*.toml")) if "graph" in tomllib.loads(path.read_text())]


@pytest.mark.parametrize("path", graph_exercises(), ids=lambda p: p.stem)
def test_every_gradient_matches_plain_sympy_of_the_substituted_loss(path):
    data = tomllib.loads(path.read_text())
    ex = load(path)
    point = {name: float(value) for name, value in ex.point.items()}
    derivation = derive(ex)
    for name, gradient in gradients(derivation).items():
        expected = plain_gradient(data["graph"], ex.loss, name, point, data.get("data"))
        assert gradient.value == pytest.approx(expected, rel=1e-9, abs=1e-12), name
        # the path sum and the reverse pass are the same number
        assert sum(gradient.path_values) == pytest.approx(gradient.value, rel=1e-9, abs=1e-12)


def test_fx_plus_y_times_z_gives_the_lectures_numbers():
    # Deck 001: x = −2, y = 5, z = −4 → q = 3, ∂f/∂x = ∂f/∂y = z = −4, ∂f/∂z = q = 3.
    d = derive(load("fx-plus-y-times-z"))
    assert [d.gradient(p).value for p in ("x", "y", "z")] == [-4.0, -4.0, 3.0]
    assert d.values["q"] == 3.0
    assert plain(d.local["f", "q"]) == "z" and plain(d.local["q", "x"]) == "1"


def test_z_equals_t_squared_is_2_times_x_plus_y():
    # Deck 000: ∂z/∂x = 2t = 2(x + y); at our point (1, 2) that is 6.
    g = derive(load("z-equals-t-squared")).gradient("x")
    assert g.value == 6.0
    assert sympy.simplify(g.closed - 2 * (symbol("x") + symbol("y"))) == 0


def test_four_paths_sum_to_two_pi_minus_three():
    # Deck 003: −1 − 2 − π·(−1) − π·(−1) = 2π − 3, one term per path.
    g = derive(load("four-paths")).gradient("w")
    assert g.paths_total == 4
    by_route = {p.nodes: value for p, value in zip(g.paths, g.path_values, strict=True)}
    assert by_route[("w", "x", "y")] == pytest.approx(-1)
    assert by_route[("w", "v", "x", "y")] == pytest.approx(-2)
    assert by_route[("w", "v", "t", "y")] == pytest.approx(math.pi)
    assert by_route[("w", "t", "y")] == pytest.approx(math.pi)
    assert g.exact == 2 * sympy.pi - 3
    assert g.value == pytest.approx(2 * math.pi - 3)


def test_two_branch_network_by_hand():
    # Deck 003's formulas, evaluated by hand at the file's point.
    x_t, y_t, w1, w2, w3, w4, w5 = 1.0, 1.0, 1.0, 0.5, -1.0, 1.5, -0.5
    h1 = sigmoid(x_t * w1)
    h2, h3 = sigmoid(h1 * w2), sigmoid(h1 * w3)
    y = h2 * w4 + h3 * w5
    branch2 = -(y_t - y) * w4 * h2 * (1 - h2) * w2 * h1 * (1 - h1) * x_t
    branch3 = -(y_t - y) * w5 * h3 * (1 - h3) * w3 * h1 * (1 - h1) * x_t
    d = derive(load("two-branch-sigmoid"))
    g1 = d.gradient("w1")
    assert [p.nodes for p in g1.paths] == [
        ("w1", "s1", "h1", "s2", "h2", "s4", "y", "E"),
        ("w1", "s1", "h1", "s3", "h3", "s4", "y", "E"),
    ]
    assert list(g1.path_values) == pytest.approx([branch2, branch3], rel=1e-12)
    assert g1.value == pytest.approx(branch2 + branch3, rel=1e-12)
    assert d.gradient("w3").value == pytest.approx(-(y_t - y) * w5 * h3 * (1 - h3) * h1, rel=1e-12)
    assert d.gradient("w5").value == pytest.approx(-(y_t - y) * h3, rel=1e-12)


def test_path_factors_read_as_the_lecture_writes_them():
    g = derive(load("two-branch-sigmoid")).gradient("w1")
    assert [plain(f) for f in g.paths[0].factors] == [
        "x_t",
        "h1*(1 - h1)",
        "w2",
        "h2*(1 - h2)",
        "w4",
        "1",
        "-(y_t - y)",
    ]
    assert g.paths[0].product_text() == "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t"
    assert g.path_sum_text() == (
        "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t - (y_t - y)*w5*h3*(1 - h3)*w3*h1*(1 - h1)*x_t"
    )


def test_delta_recursion_sums_over_the_branches_of_h1():
    g = derive(load("two-branch-sigmoid")).gradient("w1")
    steps = {step.node: step for step in g.delta}
    values = {step.node: value for step, value in zip(g.delta, g.delta_values, strict=True)}
    assert [child for child, _ in steps["h1"].terms] == ["s2", "s3"]
    assert values["s1"] == pytest.approx(g.value)  # x_t = 1: ∂E/∂w1 = ∂E/∂s1 · 1


@pytest.mark.parametrize(
    ("rhs", "var", "expected"),
    [
        ("(y_t - y)**2/2", "y", "-(y_t - y)"),
        ("(t - y)**2", "y", "-2*(t - y)"),
        ("h2*w4 + h3*w5", "h3", "w5"),
        # deck 003 writes −y_t/y + (1 − y_t)/(1 − y); sums print positive terms first
        ("-t*log(y) - (1 - t)*log(1 - y)", "y", "(1 - t)/(1 - y) - t/y"),
        ("1/(x + t)", "x", "-1/(t + x)**2"),
    ],
)
def test_local_derivatives_in_lecture_form(rhs, var, expected):
    from symbackprop.parse.plain import parse

    assert plain(local_derivative(parse(rhs, symbol), symbol(var))) == expected


def test_activation_derivatives_use_the_node_name():
    s, h = symbol("s"), symbol("h")
    assert plain(local_derivative(Sigmoid(s), s, {Sigmoid(s): h})) == "h*(1 - h)"
    assert plain(local_derivative(Tanh(s), s, {Tanh(s): h})) == "1 - h**2"
    a, b, y1, y2 = (symbol(n) for n in ("a", "b", "y1", "y2"))
    outputs = {Softmax(1, a, b): y1, Softmax(2, a, b): y2}
    assert plain(local_derivative(Softmax(1, a, b), b, outputs)) == "-y1*y2"


@pytest.mark.parametrize(
    ("loss", "hand"),
    [
        # binary cross-entropy of a sigmoid: ∂E/∂s = y − t
        ("-t*log(y) - (1 - t)*log(1 - y)", lambda t, y: y - t),
        # mean squared error over one output: ∂E/∂s = −2(t − y)·y(1 − y)
        ("(t - y)**2", lambda t, y: -2 * (t - y) * y * (1 - y)),
        # half squared error: −(t − y)·y(1 − y)
        ("(t - y)**2/2", lambda t, y: -(t - y) * y * (1 - y)),
    ],
)
def test_losses_through_a_sigmoid(loss, hand):
    ex = from_equations(
        [("s", "w*x"), ("y", "sigmoid(s)"), ("E", loss)], params=["w"], at={"w": 0.8, "x": 1.0, "t": 1.0}
    )
    d = derive(ex)
    y = sigmoid(0.8)
    assert d.gradient("s").value == pytest.approx(hand(1.0, y), rel=1e-12)


def test_cross_entropy_over_a_softmax_is_y_minus_t():
    ex = from_equations(
        [
            ("y1", "softmax(1, z1, z2, z3)"),
            ("y2", "softmax(2, z1, z2, z3)"),
            ("y3", "softmax(3, z1, z2, z3)"),
            ("E", "-(t1*log(y1) + t2*log(y2) + t3*log(y3))"),
        ],
        params=["z1", "z2", "z3"],
        at={"z1": 1.058, "z2": 0.013, "z3": 0.568, "t1": 0, "t2": 1, "t3": 0},
    )
    d = derive(ex)
    total = sum(math.exp(v) for v in (1.058, 0.013, 0.568))
    y = [math.exp(v) / total for v in (1.058, 0.013, 0.568)]
    assert [d.gradient(z).value for z in ("z1", "z2", "z3")] == pytest.approx([y[0], y[1] - 1, y[2]], rel=1e-12)


def test_relu_at_zero_follows_the_exercise_convention():
    equations = [("s", "w*x"), ("h", "relu(s)"), ("E", "h*v")]
    at = {"w": 0.0, "x": 1.0, "v": 2.0}
    assert derive(from_equations(equations, params=["w"], at=at)).gradient("w").value == 0.0
    lecture_000 = from_equations(equations, params=["w"], at=at, conventions={"relu_grad_at_zero": 1})
    assert derive(lecture_000).gradient("w").value == 2.0  # a'(0) = 1: v·1·x


def test_listing_paths_is_bounded_and_the_gradient_does_not_depend_on_it():
    # 1-3-3-3-1 chain of sums: 27 paths from w to E, each contributing 1·1·…·x.
    equations = [("a0", "w*x")]
    previous = ["a0"]
    for layer in range(1, 4):
        current = [f"a{layer}_{i}" for i in range(3)]
        equations += [(name, " + ".join(previous)) for name in current]
        previous = current
    equations.append(("E", " + ".join(previous)))
    ex = from_equations(equations, params=["w"], at={"w": 1.0, "x": 2.0})
    few = derive(ex, max_paths=5).gradient("w")
    assert few.paths_total == 27 and len(few.paths) == 5 and few.paths_omitted == 22
    assert few.path_sum is None and few.path_sum_text() is None
    assert few.value == derive(ex, max_paths=100).gradient("w").value == 27 * 2.0


def test_at_overrides_move_the_point():
    d = derive(load("fx-plus-y-times-z"), at={"z": "3", "x": 0.5})
    assert d.gradient("x").value == 3.0  # ∂f/∂x = z
    assert d.gradient("z").value == 5.5  # ∂f/∂z = q = x + y


def test_closed_form_is_in_inputs_and_params_only():
    ex = load("two-branch-sigmoid")
    d = derive(ex)
    closed = d.gradient("w1").closed
    assert {s.name for s in closed.free_symbols} <= set(ex.graph.leaves)
    env = {symbol(n): v for n, v in ex.point.items()}
    assert float(closed.xreplace(env).evalf()) == pytest.approx(d.gradient("w1").value, rel=1e-12)


def test_a_param_that_does_not_reach_the_loss_has_gradient_zero_and_a_warning():
    ex = from_equations([("s", "w*x"), ("E", "s**2")], params=["w", "u"], at={"w": 1, "x": 1})
    assert any("'u' does not reach the loss E" in warning for warning in ex.warnings)
    d = derive(ex)
    assert d.gradient("w").value == 2.0
    unused = d.gradient("u")
    assert (unused.value, unused.paths_total, unused.paths, unused.closed) == (0.0, 0, (), 0)


@pytest.mark.parametrize(("w", "expected_da"), [(0.0, 2.0), (0.3, 0.0), (-0.3, 0.0)])
def test_heaviside_is_flat_in_its_argument_and_its_value_at_zero_counts_only_there(w, expected_da):
    # E = H(w, a)·x: H is 0 below 0, 1 above and a at 0, so ∂E/∂w = 0 (the step's convention at
    # the jump) and ∂E/∂a = x where w = 0, else 0.
    d = derive(from_equations({"E": "heaviside(w, a)*x"}, params=["w", "a"], at={"w": w, "a": 0.25, "x": 2.0}))
    assert d.gradient("w").value == 0.0
    assert d.gradient("a").value == expected_da


def test_without_a_point_derive_refuses_and_the_symbolic_derivation_gives_every_form():
    ex = from_equations({"s": "w*x", "E": "s**2"}, params=["w"])
    with pytest.raises(SymbackpropError, match="has no point"):
        derive(ex)
    forms = derive_available(ex)
    assert isinstance(forms, SymbolicDerivation) and not isinstance(forms, Derivation)
    g = forms.gradient("w")
    # by hand: ∂E/∂w = ∂E/∂s · ∂s/∂w = 2s · x = 2wx · x
    assert g.path_sum_text() == "2*s*x"
    assert g.closed == 2 * symbol("w") * symbol("x") ** 2
    assert [step.node for step in g.delta] == ["s", "w"]
    assert values_to_show(g) == ((None,), (None, None), None)


def test_a_derivation_survives_pickling_with_its_values():
    d = derive(load("two-branch-sigmoid"))
    copy = pickle.loads(pickle.dumps(d))
    assert type(copy) is Derivation and copy.point == d.point
    assert copy.gradient("w1").value == d.gradient("w1").value
    assert pickle.loads(pickle.dumps(d.gradient("w1"))).path_values == d.gradient("w1").path_values
