"""``[data]``: a loss summed or averaged over samples; derive, train and audit on it."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from symbackprop.auditing.checker import audit
from symbackprop.cli import app
from symbackprop.engine.derivation import derive
from symbackprop.engine.train import train
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.catalog import read_toml
from symbackprop.exercise.model import from_equations, from_toml, load

runner = CliRunner()
LINEAR = {"y_tilde": "x1*w1 + x2*w2", "L": "(y_tilde - y)**2"}
SAMPLES = {"x1": [1.0, 2.0], "x2": [2.0, 1.0], "y": [1, -1]}


def hand_gradient(w1: float, w2: float) -> tuple[float, float, float]:
    """L = Σ (x1·w1 + x2·w2 − y)² and its gradient, sample by sample (lecture 002)."""
    loss = g1 = g2 = 0.0
    for x1, x2, y in zip(SAMPLES["x1"], SAMPLES["x2"], SAMPLES["y"], strict=True):
        e = x1 * w1 + x2 * w2 - y
        loss, g1, g2 = loss + e * e, g1 + 2 * e * x1, g2 + 2 * e * x2
    return loss, g1, g2


def test_the_gradient_is_the_sum_over_samples():
    d = derive(load("linear-perceptron-two-samples"))
    loss, g1, g2 = hand_gradient(0.5, -0.5)
    assert (loss, g1, g2) == (4.5, 3.0, -3.0)
    assert d.numeric.loss == pytest.approx(loss)
    assert d.gradient("w1").value == pytest.approx(g1) and d.gradient("w2").value == pytest.approx(g2)
    # the one path's value is summed like the gradient; δ values too
    assert d.gradient("w1").path_values == pytest.approx((g1,))
    assert d.adjoints["y_tilde"] == pytest.approx(2 * (-0.5 - 1) + 2 * (0.5 + 1))
    # the symbolic forms are one sample's
    assert d.gradient("w1").path_sum_text() == "2*(y_tilde - y)*x1"
    assert d.gradient("w1").exact is None


def test_mean_divides_by_the_number_of_samples():
    ex = from_equations(LINEAR, params=["w1", "w2"], at={"w1": 0.5, "w2": -0.5}, data=SAMPLES, reduce="mean")
    d = derive(ex)
    assert d.numeric.loss == pytest.approx(4.5 / 2)
    assert d.gradient("w1").value == pytest.approx(3.0 / 2)
    assert ex.samples == 2


def test_training_on_the_data_set_uses_the_summed_gradient():
    rows = train(load("linear-perceptron-two-samples"))
    w1, w2 = 0.5, -0.5
    for row in rows:
        loss, g1, g2 = hand_gradient(w1, w2)
        assert row.params == pytest.approx({"w1": w1, "w2": w2})
        assert row.loss == pytest.approx(loss) and row.gradients == pytest.approx({"w1": g1, "w2": g2})
        assert row.nodes["y_tilde"] == pytest.approx(1.0 * w1 + 2.0 * w2)  # the first sample's
        w1, w2 = w1 - 0.05 * g1, w2 - 0.05 * g2


def test_the_ten_row_regression_table():
    ex = load("linear-regression-recap")
    table = list(zip(ex.data["x1"], ex.data["x2"], ex.data["t"], strict=True))
    assert len(table) == 10 and [float(v) for v in table[2]] == [6, 1, 0.5]
    w = {"w0": 0.3, "w1": -0.2, "w2": 0.1}
    d = derive(ex, at=w)
    for name, feature in (("w0", lambda r: 1), ("w1", lambda r: r[0]), ("w2", lambda r: r[1])):
        expected = sum(
            -2 * (float(t) - (w["w0"] + w["w1"] * float(x1) + w["w2"] * float(x2))) * float(feature((x1, x2)))
            for x1, x2, t in table
        )
        assert d.gradient(name).value == pytest.approx(expected)


def test_derive_json_and_audit_work_on_data():
    result = runner.invoke(app, ["derive", "logistic-regression-recap", "--json"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["gradients"]) == {"w0", "w1", "w2"}
    assert {e.verdict for e in audit(load("linear-regression-recap"))} == {"match"}
    assert runner.invoke(app, ["train", "logistic-regression-recap"], env={"COLUMNS": "200"}).exit_code == 0


def test_at_cannot_set_a_data_input():
    with pytest.raises(SymbackpropError, match="x1"):
        derive(load("linear-perceptron-two-samples"), at={"x1": 3})


@pytest.mark.parametrize(
    ("data", "key", "message"),
    [
        ("x1 = [1, 2]\nx2 = [1]\ny = [0, 1]\n", "data", "one value per sample"),
        ("x1 = 1\nx2 = [1]\ny = [1]\n", "data.x1", "non-empty list"),
        ("x1 = []\nx2 = [1]\ny = [1]\n", "data.x1", "non-empty list"),
        ('x1 = ["a"]\nx2 = [1]\ny = [1]\n', "data.x1", "expected a number"),
        ("w1 = [1]\nx1 = [1]\nx2 = [1]\ny = [1]\n", "data.w1", "a param"),
        ("q = [1]\nx1 = [1]\nx2 = [1]\ny = [1]\n", "data.q", "unused"),
        ('x1 = [1]\nx2 = [1]\ny = [1]\nreduce = "median"\n', "data.reduce", "sum"),
    ],
)
def test_a_malformed_data_table_is_one_line_with_file_and_key(tmp_path, data, key, message):
    path = tmp_path / "d.toml"
    path.write_text(
        '[graph]\ny_tilde = "x1*w1 + x2*w2"\nL = "(y_tilde - y)**2"\n[roles]\nparams = ["w1", "w2"]\n'
        f"[at]\nw1 = 0\nw2 = 0\n[data]\n{data}"
    )
    with pytest.raises(SymbackpropError) as error:
        from_toml(read_toml(path), source=str(path), default_id="d")
    assert error.value.key == key and message in error.value.message
    result = runner.invoke(app, ["train", str(path), "--lr", "0.1"])
    assert result.exit_code == 2 and f"{path}: {key}:" in result.output


def test_a_name_in_both_at_and_data_is_reported(tmp_path):
    path = tmp_path / "d.toml"
    path.write_text(
        '[graph]\nL = "(w*x - y)**2"\n[roles]\nparams = ["w"]\n[at]\nw = 0\nx = 1\n[data]\nx = [1]\ny = [2]\n'
    )
    result = runner.invoke(app, ["derive", str(path)])
    assert result.exit_code == 2 and "at.x" in result.output and "[data]" in result.output
