"""[vectors]: ∂L/∂w as one vector with ∂a/∂w = x, and lecture 002's update w ← w − γ ∂L/∂w."""

from __future__ import annotations

import json
import math

import pytest
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.engine.derivation import derive
from symbackprop.engine.vectors import vector_gradients
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import load

PERCEPTRON = """id = "perceptron"
[graph]
a = "x1*w1 + x2*w2 + 1*b"
f = "sigmoid(a)"
y_tilde = "f"
L = "(y_tilde - y)**2"
[roles]
loss = "L"
params = ["w1", "w2", "b"]
[vectors]
{vectors}
[at]
w1 = 0.3
w2 = -0.2
b = 0.1
x1 = 1.0
x2 = 0.5
y = 1
[train]
lr = 0.5
"""


def _file(tmp_path, vectors='w = ["w1", "w2"]\nx = ["x1", "x2"]'):
    path = tmp_path / "perceptron.toml"
    path.write_text(PERCEPTRON.format(vectors=vectors))
    return str(path)


def _by_hand():
    """∂L/∂w = 2(f − y) f(1 − f) x for L = (σ(w·x + b) − y)², written out here."""
    x, w, b, y = (1.0, 0.5), (0.3, -0.2), 0.1, 1.0
    f = 1 / (1 + math.exp(-(x[0] * w[0] + x[1] * w[1] + b)))
    gradient = [2 * (f - y) * f * (1 - f) * xi for xi in x]
    return gradient, [wi - 0.5 * gi for wi, gi in zip(w, gradient, strict=True)]


def test_the_vector_gradient_and_its_update(tmp_path):
    (gradient,) = vector_gradients(derive(load(_file(tmp_path))))
    want, updated = _by_hand()
    assert gradient.node == "a" and gradient.chain == ("L", "y_tilde", "f", "a")
    assert gradient.local_vector == "x"  # ∂a/∂w = x, lecture 002
    assert gradient.values == pytest.approx(want, rel=1e-12)
    assert gradient.updated == pytest.approx(updated, rel=1e-12)


def test_derive_and_latex_show_the_vector(tmp_path):
    runner = CliRunner()
    path = _file(tmp_path)
    shown = runner.invoke(app, ["derive", path], env={"COLUMNS": "120"})
    assert shown.exit_code == 0, shown.output
    assert "∂a/∂w = x = [x₁, x₂]" in shown.output and "w ← w − γ·∂L/∂w" in shown.output
    data = json.loads(runner.invoke(app, ["derive", path, "--json"]).output)["vectors"][0]
    assert data["local"] == ["x1", "x2"] and data["local_equals"] == "x"
    assert data["value"] == pytest.approx(_by_hand()[0], rel=1e-12)
    latex = runner.invoke(app, ["latex", path]).output
    assert r"\frac{\partial a}{\partial \mathbf{w}} &= \mathbf{x}" in latex
    assert r"\mathbf{w} &\leftarrow \mathbf{w} - \gamma" in latex


@pytest.mark.parametrize(
    ("vectors", "message"),
    [
        ('w = ["w1"]', "at least two names"),
        ('w = ["w1", "w9"]', "'w9' is not a param or input"),
        ('w = ["w1", "x1"]', "mixes params and inputs"),
        ('a = ["w1", "w2"]', "already a name of the graph"),
        ('w = ["w1", "w1"]', "listed twice"),
        ('w = "w1"', "at least two names"),
    ],
)
def test_bad_vectors_are_one_line_errors(tmp_path, vectors, message):
    with pytest.raises(SymbackpropError, match=message):
        load(_file(tmp_path, vectors))
