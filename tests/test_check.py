"""``check`` as a library call and as ``symbackprop check``: verdicts, JSON, exit statuses."""

from __future__ import annotations

import json

import pytest
from conftest import EXERCISES
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.core.functions import Conventions, Sigmoid
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations, load
from symbackprop.numeric import evaluator as numeric
from symbackprop.numeric.check import ParamCheck, _compare, check, relative_error
from symbackprop.numeric.finite_difference import FiniteDifference

runner = CliRunner()

ALL = sorted(path.stem for path in EXERCISES.glob("*.toml"))


@pytest.mark.parametrize("exercise", ALL)
def test_every_exercise_agrees_three_ways(exercise):
    result = check(load(EXERCISES / f"{exercise}.toml"))
    assert result.ok, result.to_dict()


def test_the_three_values_are_the_gradient_written_out():
    # f = (x + y)z at (−2, 5, −4): ∂f/∂x = z = −4 by all three witnesses.
    x = check(load("fx-plus-y-times-z")).params["x"]
    assert x.symbolic == x.numpy == -4.0
    assert x.finite_difference == pytest.approx(-4.0, rel=1e-8)
    assert x.ok and x.kink is None


def test_a_wrong_numpy_rule_is_a_disagreement(monkeypatch):
    # A sigmoid whose backward step forgets the (1 − σ) factor.
    wrong = numeric.Rule(Sigmoid.forward, lambda out, args, i, conv: out)
    monkeypatch.setitem(numeric.RULES, Sigmoid, wrong)
    result = check(load("two-branch-sigmoid"))
    assert not result.ok
    w4 = result.params["w4"]  # w4 does not pass through a sigmoid's derivative: still agrees
    assert w4.ok
    assert not result.params["w1"].ok and result.params["w1"].max_rel_error > 1e-3


def test_disagreement_with_finite_differences_alone_fails():
    # Symbolic and NumPy agree with each other but not with the difference quotient.
    fd = FiniteDifference(value=1.1, kink=None)
    assert not _compare(1.0, 1.0, fd, scale=1.0).ok
    assert _compare(1.0, 1.0, FiniteDifference(1.0 + 1e-9, None), scale=1.0).ok


def test_at_a_kink_the_finite_difference_is_reported_but_not_compared():
    ex = from_equations(
        {"E": "relu(w - v)"}, params=["w"], at={"w": 1, "v": 1}, conventions=Conventions(relu_grad_at_zero=1)
    )
    w = check(ex).params["w"]
    assert (w.symbolic, w.numpy) == (1.0, 1.0)  # the convention
    assert w.finite_difference == pytest.approx(0.5)  # the mean of the slopes 0 and 1
    assert w.kink is not None and w.ok


def test_a_nan_is_never_a_pass():
    assert not _compare(float("nan"), float("nan"), FiniteDifference(float("nan"), None), 1.0).ok


def test_relative_error_measures_small_gradients_against_the_loss_scale():
    assert relative_error(1.0, 1.1) == pytest.approx(0.1 / 1.1)
    # 1e-9 apart near 0: absolute error over 1e-3 of the loss's scale, not 100 %.
    assert relative_error(1e-9, 2e-9) == pytest.approx(1e-6)


def test_check_with_data_uses_every_sample():
    ex = from_equations(
        {"E": "(t - w*x)**2/2"}, params=["w"], at={"w": 1.0}, data={"x": [1, 2], "t": [0, 0]}, reduce="mean"
    )
    w = check(ex).params["w"]
    assert w.ok and w.numpy == pytest.approx(2.5)  # ½(1·1 + 2·2)


def test_an_exercise_with_no_point_is_bad_input():
    with pytest.raises(SymbackpropError, match="needs a point"):
        check(from_equations({"E": "w*x"}, params=["w"]))


def test_param_check_json_has_the_spec_fields():
    fields = ParamCheck(1.0, 1.0, 1.0, 0.0, True).to_dict()
    assert set(fields) >= {"symbolic", "numpy", "finite_difference", "max_rel_error", "ok"}


# ---------------------------------------------------------------------------------------------
# The command
# ---------------------------------------------------------------------------------------------


def test_check_json_is_exactly_the_spec_shape():
    result = runner.invoke(app, ["check", "two-branch-sigmoid", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["exercises"]
    (entry,) = data["exercises"]
    assert entry["id"] == "two-branch-sigmoid" and entry["ok"] is True
    assert list(entry["params"]) == ["w1", "w2", "w3", "w4", "w5"]
    for fields in entry["params"].values():
        assert set(fields) >= {"symbolic", "numpy", "finite_difference", "max_rel_error", "ok"}


def test_check_all_json_lists_every_exercise_without_a_progress_bar_when_piped():
    result = runner.invoke(app, ["check", "--all", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)  # nothing but JSON on stdout
    assert sorted(entry["id"] for entry in data["exercises"]) == sorted(
        load(EXERCISES / f"{name}.toml").id for name in ALL
    )


def test_check_table_says_the_verdict():
    result = runner.invoke(app, ["check", "fx-plus-y-times-z"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "fx-plus-y-times-z: ok" in result.stdout and "1 of 1 exercises agree" in result.stdout


def test_a_disagreement_exits_1(monkeypatch):
    wrong = numeric.Rule(Sigmoid.forward, lambda out, args, i, conv: out)
    monkeypatch.setitem(numeric.RULES, Sigmoid, wrong)
    result = runner.invoke(app, ["check", "two-branch-sigmoid"], env={"COLUMNS": "200"})
    assert result.exit_code == 1
    assert "DISAGREE" in result.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["check", "no-such-exercise"], "unknown exercise 'no-such-exercise'"),
        (["check", "two-branch-sigmoid", "--all"], "--all: give exercises or --all, not both"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert "Traceback" not in result.output and len(result.stderr.strip().splitlines()) == 1


def test_a_broken_file_is_named(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[graph]\nE = "log(w)"\n[roles]\nparams = ["w"]\n[at]\nw = -1\n')
    result = runner.invoke(app, ["check", str(path)])
    assert result.exit_code == 2
    assert str(path) in result.stderr and "Traceback" not in result.output


def test_params_that_do_not_reach_the_loss_have_gradient_zero_three_ways():
    # v reaches only u, z no equation at all: both are 0; ∂(w·x)/∂w = x = 2.
    ex = from_equations({"u": "v*2", "E": "w*x"}, loss="E", params=["w", "v", "z"], at={"w": 1, "x": 2, "v": 1})
    result = check(ex)
    assert result.ok
    assert result.params["w"].numpy == 2.0
    for name in ("v", "z"):
        found = result.params[name]
        assert (found.symbolic, found.numpy, found.finite_difference) == (0.0, 0.0, 0.0)


def test_check_at_moves_the_point():
    # f = (x + y)z from (−2, 5, −4); with x = 1: ∂f/∂z = x + y = 6, ∂f/∂x = ∂f/∂y = z = −4
    result = runner.invoke(app, ["check", "fx-plus-y-times-z", "--at", "x=1", "--json"])
    assert result.exit_code == 0, result.output
    params = json.loads(result.stdout)["exercises"][0]["params"]
    assert params["z"]["symbolic"] == params["z"]["numpy"] == 6.0
    assert params["z"]["finite_difference"] == pytest.approx(6.0, rel=1e-8)
    assert params["x"]["symbolic"] == -4.0
    result = runner.invoke(app, ["check", "fx-plus-y-times-z", "--at", "q=1"])
    assert result.exit_code == 2 and "--at: 'q' is not an input or param" in result.stderr


def test_check_takes_several_exercises_and_a_folder(tmp_path):
    result = runner.invoke(app, ["check", "fx-plus-y-times-z", "gd-quadratic", "--json"])
    assert [e["id"] for e in json.loads(result.stdout)["exercises"]] == ["fx-plus-y-times-z", "gd-quadratic"]
    for name, text in [
        ("a.toml", '[graph]\nL = "w**2"\n[at]\nw = 3\n'),
        ("b.toml", '[graph]\nL = "3*w"\n[at]\nw = 1\n'),
    ]:
        (tmp_path / name).write_text(text)
    result = runner.invoke(app, ["check", str(tmp_path), "--json"])
    found = {e["id"]: e["params"]["w"]["symbolic"] for e in json.loads(result.stdout)["exercises"]}
    assert found == {"a": 6.0, "b": 3.0}  # d(w²)/dw at 3, d(3w)/dw
    empty = tmp_path / "empty"
    empty.mkdir()
    result = runner.invoke(app, ["check", str(empty)])
    assert result.exit_code == 2 and "a folder with no .toml exercise files" in result.stderr


def test_check_digits_sets_the_figures_in_the_terminal():
    # ∂E/∂w₁ of two-branch-sigmoid, by the chain rule written out, with three figures
    from reference import sigmoid

    h1 = sigmoid(1.0)
    h2, h3 = sigmoid(0.5 * h1), sigmoid(-h1)
    y = 1.5 * h2 - 0.5 * h3
    dw1 = -(1 - y) * (1.5 * h2 * (1 - h2) * 0.5 + -0.5 * h3 * (1 - h3) * -1) * h1 * (1 - h1)
    result = runner.invoke(app, ["check", "two-branch-sigmoid", "--digits", "3"], env={"COLUMNS": "150"})
    assert result.exit_code == 0 and f"{dw1:.3g} " in result.output and f"{dw1:.4g}" not in result.output
