"""``train``: gradient descent against the lectures' own tables, worked here by hand."""

from __future__ import annotations

import json
import tomllib

import pytest
from conftest import EXERCISES
from reference import plain_gradient, sigmoid, substituted_loss
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.engine.train import TrainStep, train
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations, load

runner = CliRunner()


def test_000_quadratic_from_w0_3():
    # L = w² − 2w + 2, ∂L/∂w = 2w − 2, η = 0.1: the lecture's 3 → 2.6 → 2.28, L = 5, 3.56
    rows = train(load("gd-quadratic"))
    assert [r.step for r in rows] == [0, 1, 2]
    assert [r.params["w"] for r in rows] == pytest.approx([3, 2.6, 2.28])
    assert [r.loss for r in rows] == pytest.approx([5, 3.56, 2.28**2 - 2 * 2.28 + 2])
    assert [r.gradients["w"] for r in rows] == pytest.approx([4, 3.2, 2 * 2.28 - 2])
    assert rows[1].nodes == {"L": pytest.approx(3.56)}


def test_003_one_hidden_unit_table():
    # (w1, w2): (1, 1) → (1.0053, 1.0197) → (1.0104, 1.0384 in the lecture; 1.0382 exactly)
    rows = train(load("one-hidden-unit-training"))
    w1, w2 = 1.0, 1.0
    for row in rows:
        h = sigmoid(w1)
        y = h * w2
        g2, g1 = -(1 - y) * h, -(1 - y) * w2 * h * (1 - h)
        assert row.params == pytest.approx({"w1": w1, "w2": w2})
        assert row.nodes["h"] == pytest.approx(h) and row.nodes["y"] == pytest.approx(y)
        assert row.loss == pytest.approx((1 - y) ** 2 / 2)
        assert row.gradients == pytest.approx({"w1": g1, "w2": g2})
        w1, w2 = w1 - 0.1 * g1, w2 - 0.1 * g2
    assert [round(r.params["w1"], 4) for r in rows] == [1, 1.0053, 1.0104]
    assert [round(r.params["w2"], 4) for r in rows] == [1, 1.0197, 1.0382]
    assert round(rows[1].nodes["h"], 3) == 0.732 and round(rows[0].gradients["w2"], 3) == -0.197


def test_000_relu_network_two_steps():
    rows = train(load("three-layer-scalar-relu"))
    step1 = rows[1].params
    assert [step1[p] for p in ("wb1", "w1", "wb2", "w2", "wb3", "w3")] == pytest.approx(
        [0.525, 0.525, 0.55, 0.55, 0.6, 0.6]
    )
    assert [rows[1].nodes[n] for n in ("h1", "h2", "y")] == pytest.approx([1.05, 1.1275, 1.2765])
    # step 2 by hand with ∂L/∂w_b² = (y − t)w³ (no h² factor, unlike the lecture)
    e = 1.2765 - 2
    expected = {
        "wb1": 0.525 - 0.1 * e * 0.6 * 0.55,
        "w1": 0.525 - 0.1 * e * 0.6 * 0.55,
        "wb2": 0.55 - 0.1 * e * 0.6,
        "w2": 0.55 - 0.1 * e * 0.6 * 1.05,
        "wb3": 0.6 - 0.1 * e,
        "w3": 0.6 - 0.1 * e * 1.1275,
    }
    assert rows[2].params == pytest.approx(expected)
    assert round(rows[2].params["wb1"], 7) == 0.5488755 and round(rows[2].params["w3"], 7) == 0.6815746


def test_001_update_with_eta_1():
    rows = train(load("bp-2-2-1-sigmoid"))
    assert len(rows) == 2
    after = {name: round(value, 4) for name, value in rows[1].params.items()}
    assert after == {
        "W1_11": 0.0991,
        "W1_12": 0.7976,
        "W1_21": 0.3971,
        "W1_22": 0.5926,
        "W2_11": 0.2723,  # the lecture's 0.2724 subtracts its rounded 0.0276
        "W2_12": 0.8730,  # and 0.8731 its rounded 0.0269
    }


def test_004_error_after_the_update():
    rows = train(load("bp-2-2-2-sigmoid-no-bias"))
    assert round(rows[0].loss, 4) == 0.2397 and round(rows[1].loss, 4) == 0.2326
    assert round(rows[1].params["w5"], 4) == 0.3143 and round(rows[1].params["w8"], 4) == 0.5224


def test_lr_and_steps_override_the_train_table():
    rows = train(load("gd-quadratic"), lr=0.5, steps=1)
    assert [r.params["w"] for r in rows] == [3.0, 1.0]  # 3 − 0.5·4
    assert isinstance(rows[0], TrainStep)


def test_steps_zero_is_the_point_only():
    rows = train(load("gd-quadratic"), steps=0)
    assert len(rows) == 1 and rows[0].params == {"w": 3.0}


def test_no_learning_rate_is_bad_input():
    ex = from_equations({"L": "w**2"}, at={"w": 1})
    with pytest.raises(SymbackpropError, match="lr"):
        train(ex)
    assert train(ex, lr=0.25, steps=1)[1].params == {"w": 0.5}


def test_cli_json_has_the_spec_fields():
    result = runner.invoke(app, ["train", "gd-quadratic", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["exercise"] == "gd-quadratic" and data["lr"] == 0.1
    assert [s["step"] for s in data["steps"]] == [0, 1, 2]
    assert set(data["steps"][0]) == {"step", "params", "nodes", "loss", "gradients"}
    assert data["steps"][2]["params"]["w"] == pytest.approx(2.28)


def test_cli_table_shows_the_lectures_numbers():
    # Deck 003, one step of η = 0.1 from w1 = w2 = x_t = y_t = 1, where h = y = σ(1):
    # ∂E/∂w1 = −(y_t − y)·w2·h(1 − h)·x_t and ∂E/∂w2 = −(y_t − y)·h.
    h = sigmoid(1.0)
    w1, w2 = 1 + 0.1 * (1 - h) * h * (1 - h), 1 + 0.1 * (1 - h) * h
    assert (round(w1, 4), round(w2, 4)) == (1.0053, 1.0197)  # as the deck prints them
    result = runner.invoke(app, ["train", "one-hidden-unit-training"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert f"{w1:.6g}" in result.output and f"{w2:.6g}" in result.output
    # Deck 004: E_total after one step of η = 0.5, by plain SymPy's gradients of the file's graph.
    data = tomllib.loads((EXERCISES / "bp-2-2-2-sigmoid-no-bias.toml").read_text())
    graph, point = data["graph"], data["at"]
    step = {w: point[w] - 0.5 * plain_gradient(graph, "E_total", w, point) for w in data["roles"]["params"]}
    after = substituted_loss(graph, "E_total")
    loss = float(after.subs({s: {**point, **step}[s.name] for s in after.free_symbols}))
    assert round(loss, 4) == 0.2326  # as the deck prints it
    wide = runner.invoke(app, ["train", "bp-2-2-2-sigmoid-no-bias"], env={"COLUMNS": "120"})
    # The loss sits in the row of k = 1 (after one update), in a table that fits the width.
    table = wide.output.splitlines()
    loss_tables = [i for i, line in enumerate(table) if line.split()[-1:] and "E_total" in line.split()]
    assert loss_tables, wide.output
    header = table[loss_tables[0]].split()
    row_1 = next(line.split() for line in table[loss_tables[0] :] if line.split()[:1] == ["1"])
    assert row_1[header.index("E_total")] == f"{loss:.6g}"
    assert all(len(line) <= 120 for line in table)


def test_cli_every_kth_step_and_the_last():
    # L = w² − 2w + 2 from w = 3 with η = 0.1: w ← w − 0.1·(2w − 2), so w_k = 1 + 2·0.8^k.
    result = runner.invoke(app, ["train", "gd-quadratic", "--steps", "10", "--every", "4", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert [s["step"] for s in data["steps"]] == [0, 4, 8, 10]
    assert [s["params"]["w"] for s in data["steps"]] == pytest.approx([1 + 2 * 0.8**k for k in (0, 4, 8, 10)])
    table = runner.invoke(app, ["train", "gd-quadratic", "--steps", "10", "--every", "4"], env={"COLUMNS": "80"})
    assert "every 4 steps and the last" in table.output
    rows = [line.split() for line in table.output.splitlines() if line.split()[:1] in (["0"], ["4"], ["8"], ["10"])]
    assert [row[0] for row in rows] == ["0", "4", "8", "10"]
    assert float(rows[-1][1]) == pytest.approx(1 + 2 * 0.8**10, rel=1e-5)


def test_cli_json_is_one_step_a_line_and_whole_json():
    # Streamed as computed: the lines between the head and the tail are one step each.
    result = runner.invoke(app, ["train", "gd-quadratic", "--steps", "3", "--json"])
    lines = result.output.splitlines()
    assert len(lines) == 1 + 4 + 1
    assert [json.loads(line.rstrip(","))["step"] for line in lines[1:-1]] == [0, 1, 2, 3]
    assert json.loads(result.output)["steps"][3]["loss"] == pytest.approx(
        (1 + 2 * 0.8**3) ** 2 - 2 * (1 + 2 * 0.8**3) + 2
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["train", "gd-quadratic", "--lr", "-1"], "learning rate"),
        (["train", "gd-quadratic", "--lr", "nan"], "positive finite number, not nan"),
        (["train", "gd-quadratic", "--lr", "inf"], "positive finite number, not inf"),
        (["train", "gd-quadratic", "--steps", "-2"], "steps"),
        (["train", "two-branch-sigmoid"], "--lr"),
        (["train", "nothing-like-this"], "unknown exercise"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_a_step_count_past_the_bound_is_refused_where_it_was_written():
    ex = from_equations({"L": "w**2"}, at={"w": 3}, train={"lr": 0.1, "steps": 10**11})
    with pytest.raises(SymbackpropError) as caught:
        train(ex)
    assert caught.value.key == "train.steps" and "from 0 to 10000" in str(caught.value)
    with pytest.raises(SymbackpropError) as caught:
        train(ex, steps=10_001)
    assert caught.value.key == "--steps"
