"""What a lecturer acts on: ``audit --problems``, where each entry is in the deck, what to print
instead, the rounded_early explanation, and numbers shown with enough digits and no float noise.

Every expected number is worked out here by hand from the lecture's network, not read back
from the tool.
"""

from __future__ import annotations

import json
import math
import re
import tomllib
from pathlib import Path

import pytest
from conftest import EXERCISES, LECTURES
from reference import sigmoid
from typer.testing import CliRunner

from symbackprop.auditing.advice import clean, number_suggestion, shown
from symbackprop.auditing.checker import audit
from symbackprop.cli import app
from symbackprop.exercise.model import load

runner = CliRunner()


def audit_json(*args: str) -> list[dict]:
    result = runner.invoke(app, ["audit", *args, "--json"])
    assert result.exit_code in (0, 1), result.output
    return json.loads(result.stdout)["entries"]


def entry(entries: list[dict], key: str, stated: str) -> dict:
    return next(e for e in entries if e["key"] == key and e["stated"] == stated)


# ---- the mismatch that showed as equal digits --------------------------------------------------


@pytest.fixture
def close_call(tmp_path) -> Path:
    """L = w·x at w = 0.291027774, x = 1: L is 0.291027774 exactly; the file states 0.291027924."""
    path = tmp_path / "close.toml"
    path.write_text('[graph]\nL = "w*x"\n[at]\nw = 0.291027774\nx = 1\n[stated]\n"L" = "0.291027924"\n')
    return path


def test_a_mismatch_in_the_seventh_figure_shows_where_the_two_part_and_how_far(close_call):
    result = runner.invoke(app, ["audit", str(close_call)], env={"COLUMNS": "120"})
    assert result.exit_code == 1
    assert "0.291027924" in result.output and "0.291027774" in result.output  # not "0.291028" twice
    (found,) = audit_json(str(close_call))
    assert found["verdict"] == "mismatch"
    off = 0.291027924 - 0.291027774
    assert f"off by {off:.2g}" in found["diagnosis"] and "no usual mistake explains it" in found["diagnosis"]
    assert found["suggestion"] == "0.291027774"


def test_shown_gives_enough_digits_to_tell_two_numbers_apart():
    assert shown(0.291027774, "0.291027924") == "0.291027774"
    assert shown(1.0382205216727156, "1.0384") == "1.03822"  # six figures already differ
    assert shown(0.5, "0.5") == "0.5"


def test_no_float_noise():
    # four-paths states t = 0 where t = sin(π): float sin gives 1.22e-16
    assert math.sin(math.pi) != 0 and clean(math.sin(math.pi)) == 0.0
    t = entry(audit_json("four-paths"), "t", "0")
    assert t["computed"] == 0.0


# ---- deck 003: the w₂ update and the rounded y = 0.747 -------------------------------------------


def test_003_w2_is_an_arithmetic_slip_not_a_wrong_gradient():
    h = sigmoid(1)
    w1, w2 = 1 + 0.1 * (1 - h) * h * (1 - h), 1 + 0.1 * (1 - h) * h
    y = sigmoid(w1) * w2
    exact = w2 + 0.1 * (1 - y) * sigmoid(w1)
    assert round(exact, 4) == 1.0382 and round(1.0197 + 0.1 * 0.186, 4) == 1.0383
    w2_2 = entry(audit_json("one-hidden-unit-training"), "w2@2", "1.0384")
    assert w2_2["verdict"] == "mismatch"
    assert w2_2["diagnosis"] == "an arithmetic slip: 1.0197 + 0.1 * 0.186 is 1.0383, not 1.0384"
    assert "implies" not in w2_2["diagnosis"]  # the gradient 0.186 is right: not blamed
    assert w2_2["suggestion"] == "1.0382"
    assert w2_2["source"] == "003_86bcd916b05bbcd3.txt:638"


@pytest.mark.parametrize(
    ("key", "stated"),
    [("dE/dw2@1", "-(1 - 0.747) * 0.732"), ("dE/dw1@1", "-(1 - 0.747) * 1.0197 * 0.732 * 0.268 * 1")],
)
def test_003_expressions_on_the_rounded_y_are_rounded_early_like_y_itself(key, stated):
    h = sigmoid(1)
    w1, w2 = 1 + 0.1 * (1 - h) * h * (1 - h), 1 + 0.1 * (1 - h) * h
    y = sigmoid(w1) * w2
    assert abs(0.747 - y) > 0.0005  # y = 0.7465: 0.747 is not y to its three decimals
    entries = audit_json("one-hidden-unit-training")
    assert entry(entries, "y@1", "0.747")["verdict"] == "rounded_early"
    found = entry(entries, key, stated)
    assert found["verdict"] == "rounded_early" and found["intermediates"] == ["y@1"]
    assert found["diagnosis"].startswith("right only with the lecture's rounded y@1 = 0.747")
    # y written with one decimal more than the most the expression shows: 0.7465, or 0.74649 beside 1.0197
    places = max(len(n.split(".")[1]) for n in written_numbers(stated)) + 1
    assert found["suggestion"].startswith(stated.replace("0.747", f"{y:.{places}f}"))


def test_001_delta_expression_on_the_rounded_delta_is_rounded_early():
    entries = audit_json("bp-2-2-1-sigmoid")
    found = entry(entries, "-dL/dnet1_1", "0.68 * (1 - 0.68) * 0.3 * (-0.0406)")
    assert found["verdict"] == "rounded_early" and found["intermediates"] == ["-dL/dnet2_1"]
    y = sigmoid(0.3 * sigmoid(0.1 * 0.35 + 0.8 * 0.9) + 0.9 * sigmoid(0.4 * 0.35 + 0.6 * 0.9))
    delta = (0.5 - y) * y * (1 - y)  # −0.04068: the lecture's −0.0406 is rounded early
    assert f"(exactly {delta:.6g})" in found["diagnosis"]
    assert f"(-{abs(delta):.5f})" in found["suggestion"]


# ---- deck 004: out₁ and the other suggestions --------------------------------------------------


def test_004_out1_suggests_the_true_value_and_names_its_line():
    h1, h2 = sigmoid(0.05 * 0.15 + 0.1 * 0.2), sigmoid(0.05 * 0.25 + 0.1 * 0.3)
    out1 = sigmoid(h1 * 0.35 + h2 * 0.4)
    found = entry(audit_json("bp-2-2-2-sigmoid-no-bias"), "out_o1", "0.5843")
    assert found["suggestion"] == f"{out1:.4f}" == "0.5943"
    assert found["source"] == "004_4fdd033b6857c059.txt:144"


def test_004_a_misplaced_number_suggests_the_expression_with_the_right_one():
    h2 = sigmoid(0.05 * 0.25 + 0.1 * 0.3)
    found = entry(audit_json("bp-2-2-2-sigmoid-no-bias"), "net_o2", "0.5069 * 0.45 + 0.5069 * 0.5")
    assert found["suggestion"] == f"0.5069 * 0.45 + {h2:.4f} * 0.5"


def test_number_suggestion_keeps_the_written_decimals():
    assert number_suggestion("0.5843", 0.594272) == "0.5943"
    assert number_suggestion("0.747", 0.746491) == "0.746"
    assert number_suggestion("-2", -2.4) == "-2.4"  # "-2" itself would say nothing


def test_a_wrong_formula_suggests_the_true_one_in_node_names():
    found = entry(audit_json("bp-2-2-2-sigmoid-no-bias"), "dnet_o2/dw7", "out_o1")
    assert found["suggestion"] == "out_h1"


def test_delta_formulas_are_in_node_names_not_expanded_sigmoid_nests():
    for found in audit_json("bp-2-2-1-sigmoid"):
        if isinstance(found["computed"], str):
            assert "sigmoid(" not in found["computed"], found


def test_the_e_diagnosis_says_what_was_done_not_half_the_true_value():
    # dy/dw = −2 at the point; −1/1²·2·1·e = −2e is e⁰ read as e, and −e is that with a 2 dropped
    found = entry(audit_json("inverse-square-exp"), "dy/dw", "-e")
    assert (
        found["diagnosis"]
        == f"e⁰ taken as e, which gives {-2 * math.e:.6g}; then a factor 2 dropped (the true value is -2)"
    )
    assert "½" not in found["diagnosis"]


# ---- --problems, sources and explanations for every problem -------------------------------------


def test_problems_lists_only_mismatch_and_rounded_early_each_with_a_suggestion_and_source():
    everything = audit_json("--all")
    problems = audit_json("--all", "--problems")
    wanted = [e for e in everything if e["verdict"] in ("mismatch", "rounded_early")]
    assert problems == wanted and len(problems) < len(everything)
    for found in problems:
        assert found["suggestion"], found
        assert found["source"].split(":")[0].endswith(".txt"), found
        assert found["diagnosis"], found  # rounded_early rows explain themselves in the JSON too
        if found["verdict"] == "rounded_early":
            assert all(name in found["diagnosis"] for name in found["intermediates"])


def test_problems_in_the_terminal_fit_on_a_few_screens_and_name_the_deck_line():
    result = runner.invoke(app, ["audit", "--all", "--problems"], env={"COLUMNS": "100"})
    assert result.exit_code == 1
    block = result.output.split("bp-2-2-2-sigmoid-no-bias  004_4fdd033b6857c059.txt", 1)[1]
    assert re.search(r"out_o1 .* mismatch  line 144\n .*\n +print instead: 0.5943", block)
    verdicts = re.findall(r"  (match|rounded_early|mismatch|not_checkable)(?:  line \d+)?$", result.output, re.M)
    assert set(verdicts) == {"mismatch", "rounded_early"}
    assert len(result.output.splitlines()) < 250  # a few screens of 60 lines


def test_digits_sets_the_terminal_figures_and_is_bounded(close_call):
    result = runner.invoke(app, ["audit", "gd-quadratic", "--digits", "3"], env={"COLUMNS": "120"})
    assert result.exit_code == 0
    result = runner.invoke(app, ["audit", "gd-quadratic", "--digits", "0"])
    assert result.exit_code == 2 and "--digits: expected 1 to 17 significant figures" in result.output


def test_audit_takes_several_files_and_a_folder(tmp_path, close_call):
    other = tmp_path / "other.toml"
    other.write_text('[graph]\nL = "w**2"\n[at]\nw = 3\n[stated]\n"dL/dw" = "6"\n')
    exercises = {e["exercise"] for e in audit_json(str(close_call), str(other))}
    assert exercises == {"close", "other"}
    assert {e["exercise"] for e in audit_json(str(tmp_path))} == {"close", "other"}
    assert {e["exercise"] for e in audit_json("gd-quadratic", "four-paths")} == {"gd-quadratic", "four-paths"}


# ---- [lines]: the deck line per stated key ------------------------------------------------------


def test_lines_must_name_stated_keys_and_give_one_line_per_form(tmp_path):
    body = '[graph]\nL = "w**2"\n[at]\nw = 3\n[stated]\n"dL/dw" = ["2*w", "6"]\n[lines]\n'
    path = tmp_path / "bad.toml"
    for lines, message in [
        ('"dL/dq" = 3', "lines.dL/dq: not a key of [stated]"),
        ('"dL/dw" = [1, 2, 3]', "3 lines for 2 stated forms"),
        ('"dL/dw" = 0', "expected a line number ≥ 1"),
    ]:
        path.write_text(body + lines + "\n")
        result = runner.invoke(app, ["audit", str(path)])
        assert result.exit_code == 2 and message in result.output, result.output
    path.write_text(body + '"dL/dw" = [7, 9]\n')
    assert [e["source"] for e in audit_json(str(path))] == ["line 7", "line 9"]


def written_numbers(text: str) -> list[str]:
    return re.findall(r"\d+\.\d+", text)


@pytest.mark.skipif(not LECTURES.is_dir(), reason=f"the lecture decks are not beside the repository ({LECTURES})")
@pytest.mark.parametrize("path", sorted(EXERCISES.glob("*.toml")), ids=lambda p: p.stem)
def test_every_deck_line_prints_the_numbers_of_its_stated_form(path):
    data = tomllib.loads(path.read_text())
    deck = (LECTURES / data["source"].split(" — ")[0]).read_text().splitlines()
    for key, lines in data.get("lines", {}).items():
        forms = data["stated"][key] if isinstance(data["stated"][key], list) else [data["stated"][key]]
        for index, text in enumerate(forms):
            line = lines[index] if isinstance(lines, list) else lines
            # the form's most precise number (an update puts in a weight written lines before)
            number = max(written_numbers(text), key=len, default=None)
            if number is not None:
                assert re.search(rf"(?<![\d.]){re.escape(number)}(?!\d)", deck[line - 1]), (key, text, line)


def test_the_audit_library_call_carries_the_source():
    entries = audit(load("gd-quadratic"))
    assert {e.source.split(":")[0] for e in entries} == {"000_e5e2b0d9d9f97cac.txt"}


# ---- what the decks print that the catalog used to leave out -------------------------------------


def test_000_the_eta_gradient_vector_of_step_two_carries_the_spurious_h2():
    # L = (y − t)²/2, h1 = relu(w1·x + wb1), h2 = relu(w2·h1 + wb2), y = w3·h2 + wb3, x = 1, t = 2,
    # from w = 0.5 and one step of η = 0.1: the deck's step-1 weights, by hand
    wb1 = w1 = 0.525
    wb2 = w2 = 0.55
    wb3 = w3 = 0.6
    h1 = w1 * 1 + wb1
    h2 = w2 * h1 + wb2
    y = w3 * h2 + wb3
    assert (round(h1, 4), round(h2, 4), round(y, 4)) == (1.05, 1.1275, 1.2765)
    eta_dwb2 = 0.1 * (y - 2) * w3  # ∂L/∂wb2 = (y − t)·w3: no h2 in it
    assert round(eta_dwb2 * h2, 7) == -0.0489448  # the deck's number, with the spurious h2
    found = entry(audit_json("three-layer-scalar-relu"), "wb2@2", "0.55 - (-0.0489448)")
    assert found["verdict"] == "mismatch" and "a spurious factor h2" in found["diagnosis"]
    assert found["suggestion"] == f"0.55 - ({eta_dwb2:.7f}) = {wb2 - eta_dwb2:.6g}"
    assert found["source"] == "000_e5e2b0d9d9f97cac.txt:643"
    assert entry(audit_json("three-layer-scalar-relu"), "wb1@1", "0.5 - (-0.025)")["verdict"] == "match"


def test_004_the_update_rule_with_a_plus_sign_is_named():
    found = entry(audit_json("bp-2-2-2-sigmoid-no-bias"), "w5@1", "w5 + dE_total/dw5")
    assert found["verdict"] == "mismatch" and found["source"] == "004_4fdd033b6857c059.txt:94"
    assert found["diagnosis"].startswith("the update adds the gradient and leaves out the learning rate")
    assert found["suggestion"] == "w5 - 0.5*dE_total/dw5"  # the deck's η = 0.5


def test_004_circled_one_two_two_is_a_factor_written_twice():
    # ① = ∂E/∂out_o1, ② = ∂out_o1/∂net_o1, ③ = ∂net_o1/∂w5 = out_h1: ①×②×② repeats ②
    found = entry(
        audit_json("bp-2-2-2-sigmoid-no-bias"), "dE_total/dw5", "dE_total/dout_o1*dout_o1/dnet_o1*dout_o1/dnet_o1"
    )
    assert found["diagnosis"] == "dout_o1/dnet_o1 is written twice, in place of dnet_o1/dw5 = out_h1"
    assert found["source"] == "004_4fdd033b6857c059.txt:133"


def test_004_a_given_target_stated_as_another_number_is_a_mismatch():
    # 0.0 is within its own half unit (0.05) of 0.01, yet the example computes with 0.01
    found = entry(audit_json("bp-2-2-2-sigmoid-no-bias"), "target_o1", "0.0")
    assert found["verdict"] == "mismatch" and found["suggestion"] == "0.01"
    assert found["source"] == "004_4fdd033b6857c059.txt:144"


def test_003_no_linear_layer_gives_the_s1_column_of_the_activation_table():
    # s1 = a·x1 + b·x2 + c over (0,0), (0,1), (1,0), (1,1): the first three rows give c = −1.5,
    # b = 0.5, a = 1, so the fourth must be 0, not the deck's 0.5; s2's column fits 0.5, 1.5, −0.5
    c = -1.5
    b, a = -1.0 - c, -0.5 - c
    assert a + b + c == 0.0 != 0.5
    assert 0.5 * 1 + 1.5 * 1 - 0.5 == 1.5
    entries = audit_json("activation-role-table")
    s1 = entry(entries, "s1", "(-1.5, -1.0, -0.5, 0.5)")
    assert s1["verdict"] == "mismatch" and s1["source"] == "003_86bcd916b05bbcd3.txt:788"
    assert s1["diagnosis"] == (
        "no linear layer of x1, x2 gives this column: the one through its first 3 rows, "
        "s1 = 1·x1 + 0.5·x2 − 1.5, gives 0 at x1 = 1, x2 = 1, not 0.5"
    )
    assert s1["suggestion"] == "(-1.5, -1.0, -0.5, 0.0)"
    assert entry(entries, "s2", "(-0.5, 1.0, 0.0, 1.5)")["verdict"] == "match"


def audit_column(tmp_path, graph: str, params: str, data: str, at: str, stated: str) -> tuple[str, str, str]:
    """One stated column over a small data set: its verdict, diagnosis and suggestion."""
    path = tmp_path / "column.toml"
    path.write_text(f"[graph]\n{graph}\n[roles]\nparams = {params}\n[data]\n{data}\n[at]\n{at}\n[stated]\n{stated}\n")
    (found,) = audit_json(str(path))
    return found["verdict"], found["diagnosis"], found["suggestion"]


def test_a_column_a_linear_layer_can_give_says_the_weights_are_what_differ(tmp_path):
    # s = w·x + b at w = 1, b = 0 over x = 0, 1, 2; the column 1, 3, 5 is 2x + 1: a layer, other weights
    found = audit_column(
        tmp_path, 's = "w*x + b"\nE = "s**2"', '["w", "b"]', "x = [0, 1, 2]", "w = 1\nb = 0", '"s" = "(1.0, 3.0, 5.0)"'
    )
    diagnosis = "a linear layer gives this column (s = 2·x + 1), but not with the example's weights"
    assert found == ("mismatch", diagnosis, "(0.0, 1.0, 2.0)")


def test_a_wrong_column_of_a_non_linear_node_names_its_samples(tmp_path):
    # y = x² over x = 1, 2, 3 is 1, 4, 9: the column 1, 4, 8 is wrong in sample 3 alone
    found = audit_column(
        tmp_path, 'y = "x**2*w"\nE = "y"', '["w"]', "x = [1, 2, 3]", "w = 1", '"y" = "(1.0, 4.0, 8.0)"'
    )
    assert found == ("mismatch", "sample 3 differs", "(1.0, 4.0, 9.0)")
