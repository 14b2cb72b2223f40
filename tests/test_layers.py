"""``[layers]``: fully connected networks expanded into lecture 001's scalar equations."""

from __future__ import annotations

import pytest
from reference import plain_gradient, sigmoid
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.engine.derivation import derive
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.catalog import read_toml
from symbackprop.exercise.layers import expand
from symbackprop.exercise.model import from_toml, load
from symbackprop.render.plain import pretty_name


def test_the_2_2_1_network_is_named_as_lecture_001_names_it():
    e = expand({"sizes": [2, 2, 1], "activation": "sigmoid"})
    assert e.equations == [
        ("net1_1", "W1_11*x0_1 + W1_12*x0_2"),
        ("net1_2", "W1_21*x0_1 + W1_22*x0_2"),
        ("x1_1", "sigmoid(net1_1)"),
        ("x1_2", "sigmoid(net1_2)"),
        ("net2_1", "W2_11*x1_1 + W2_12*x1_2"),
        ("x2_1", "sigmoid(net2_1)"),
        ("L", "(t_1 - x2_1)**2/2"),
    ]
    assert e.params == ["W1_11", "W1_12", "W1_21", "W1_22", "W2_11", "W2_12"]
    assert e.loss == "L" and e.point == {}
    # W^l_ij: unit i of layer l from unit j of layer l − 1, printed W¹₁₂
    assert pretty_name("W1_12") == "W¹₁₂" and pretty_name("net2_1") == "net²₁"


def test_biases_activation_per_layer_and_initial_values():
    e = expand(
        {
            "sizes": [1, 2, 1],
            "activation": ["relu", "identity"],
            "bias": True,
            "loss": "sse",
            "weights": [[[0.5], [-1]], [[2, 3]]],
            "biases": [[0.1, 0.2], [0.3]],
        }
    )
    equations = dict(e.equations)
    assert equations["net1_2"] == "W1_21*x0_1 + b1_2"
    assert equations["x1_1"] == "relu(net1_1)" and equations["x2_1"] == "net2_1"
    assert equations["L"] == "(t_1 - x2_1)**2"
    assert e.params == ["W1_11", "b1_1", "W1_21", "b1_2", "W2_11", "W2_12", "b2_1"]
    assert e.point == {"W1_11": 0.5, "W1_21": -1, "W2_11": 2, "W2_12": 3, "b1_1": 0.1, "b1_2": 0.2, "b2_1": 0.3}


def test_softmax_output_with_cross_entropy():
    e = expand({"sizes": [2, 3], "activation": "softmax", "loss": "cce"})
    equations = dict(e.equations)
    assert equations["x1_2"] == "softmax(2, net1_1, net1_2, net1_3)"
    assert equations["L"] == "-t_1*log(x1_1) - t_2*log(x1_2) - t_3*log(x1_3)"


def test_ten_or_more_units_get_separated_indices():
    e = expand({"sizes": [10, 1], "activation": "tanh"})
    assert e.params[-1] == "W1_1_10"


def test_the_lectures_forward_pass_and_deltas():
    d = derive(load("bp-2-2-1-sigmoid"))
    x11, x12 = sigmoid(0.1 * 0.35 + 0.8 * 0.9), sigmoid(0.4 * 0.35 + 0.6 * 0.9)
    y = sigmoid(0.3 * x11 + 0.9 * x12)
    assert d.values["x1_1"] == pytest.approx(x11) and d.values["x2_1"] == pytest.approx(y)
    delta2 = (0.5 - y) * y * (1 - y)  # δ²₁ = (t − y)σ'(net²₁), lecture 001
    assert -d.adjoints["net2_1"] == pytest.approx(delta2)
    assert -d.adjoints["net1_1"] == pytest.approx(x11 * (1 - x11) * 0.3 * delta2)
    assert d.gradient("W1_12").value == pytest.approx(-x11 * (1 - x11) * 0.3 * delta2 * 0.9)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "softplus", "swish", "elu", "identity"])
def test_every_activation_gives_the_plain_sympy_gradient(activation, tmp_path):
    table = {
        "layers": {
            "sizes": [2, 2, 2],
            "activation": activation,
            "bias": True,
            "loss": "mse",
            "weights": [[[0.3, -0.2], [0.5, 0.7]], [[0.1, 0.4], [-0.6, 0.2]]],
            "biases": [[0.1, -0.1], [0.05, 0.2]],
        },
        "at": {"x0_1": 0.6, "x0_2": 0.9, "t_1": 0.2, "t_2": 0.8},
    }
    ex = from_toml(table, source="layers.toml", default_id="layers")
    d = derive(ex)
    point = {n: float(v) for n, v in ex.point.items()}
    for param in ex.params:
        expected = plain_gradient(ex.texts, ex.loss, param, point)
        assert d.gradient(param).value == pytest.approx(expected, rel=1e-9, abs=1e-12), param


def write(tmp_path, text: str):
    path = tmp_path / "net.toml"
    path.write_text(text)
    return path


@pytest.mark.parametrize(
    ("body", "key", "message"),
    [
        ("[layers]\nsizes = [2]\n", "layers.sizes", "at least two"),
        ("[layers]\nsizes = [2, 0]\n", "layers.sizes", "at least two"),
        ('[layers]\nsizes = [2, 1]\nactivation = "sigmod"\n', "layers.activation", "unknown activation"),
        ('[layers]\nsizes = [2, 2, 1]\nactivation = ["sigmoid"]\n', "layers.activation", "list of 2"),
        ('[layers]\nsizes = [2, 2, 1]\nactivation = ["softmax", "sigmoid"]\n', "layers.activation", "output"),
        ('[layers]\nsizes = [2, 1]\nloss = "cce"\n', "layers.loss", "softmax"),
        ('[layers]\nsizes = [2, 1]\nloss = "hinge"\n', "layers.loss", "unknown loss"),
        ('[layers]\nsizes = [2, 1]\nbias = "yes"\n', "layers.bias", "true or false"),
        ("[layers]\nsizes = [2, 1]\nweights = [[[1, 2, 3]]]\n", "layers.weights", "1×2"),
        ("[layers]\nsizes = [2, 1]\nweights = [[[1, nan]]]\n", "layers.weights", "nan is not a finite number"),
        ("[layers]\nsizes = [2, 1]\nbiases = [[1]]\n", "layers.biases", "bias = false"),
        ("[layers]\nsizes = [2, 1]\nwidth = 3\n", "layers.width", "unknown key"),
        ('[layers]\nsizes = [2, 1]\n[graph]\ny = "x"\n', "layers", "not both"),
        ("[layers]\nsizes = [2, 1]\nweights = [[[1, 2]]]\n[at]\nW1_11 = 3\n", "at.W1_11", "in [layers] and in [at]"),
        ("[layers]\nsizes = [2, 1]\n[at]\nx0_1 = 1\n", "at", "missing value"),
    ],
)
def test_a_malformed_layers_table_is_one_line_with_file_and_key(tmp_path, body, key, message):
    path = write(tmp_path, body)
    with pytest.raises(SymbackpropError) as error:
        from_toml(read_toml(path), source=str(path), default_id="net")
    assert error.value.key == key and message in error.value.message and error.value.source == str(path)
    result = CliRunner().invoke(app, ["derive", str(path)])
    assert result.exit_code == 2 and f"{path}: {key}:" in result.output and "Traceback" not in result.output
