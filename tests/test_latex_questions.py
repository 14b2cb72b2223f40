"""The questions-only sheet: ``latex --questions`` and :func:`symbackprop.render.latex_questions.questions_latex`."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import EXAMPLES
from reference import sigmoid
from test_latex_cli import invoke, one_error_line

from symbackprop.exercise.model import from_equations
from symbackprop.grading.questions import read_questions
from symbackprop.render.latex_questions import questions_latex

GRADED = str(EXAMPLES / "two-branch-grading.toml")


def two_branch_values() -> dict[str, float]:
    """Lecture 003's two-branch net at its point, by hand: the values a solution would print."""
    h1 = sigmoid(1.0)
    h2, h3 = sigmoid(0.5 * h1), sigmoid(-h1)
    y = 1.5 * h2 - 0.5 * h3
    dy = -(1 - y)
    return {"dE/dy": dy, "dE/dw4": dy * h2, "dE/dw3": dy * -0.5 * h3 * (1 - h3) * h1, "w4@1": 1.5 - 0.1 * dy * h2}


def test_the_sheet_lists_every_question_with_its_form_and_points_in_order():
    sheet = invoke("latex", GRADED, "--questions")
    items = [line for line in sheet.splitlines() if line.startswith(r"\item")]
    # examples/two-branch-grading.toml's [questions]: q1 … q7, as the file lists them
    assert items == [
        r"\item $\frac{\partial E}{\partial w_{1}}$, as a formula (2 points).",
        r"\item $\frac{\partial E}{\partial w_{3}}$, as a formula (2 points).",
        r"\item $\frac{\partial E}{\partial w_{4}}$, as a formula (1 point).",
        r"\item $\frac{\partial E}{\partial y}$, as a number (1 point).",
        r"\item $\frac{\partial E}{\partial w_{4}}$, as a number (1 point).",
        r"\item $w_{4}$ after 1 gradient-descent step, as a number (1 point).",
        r"\item $\frac{\partial E}{\partial w_{3}}$, as a number (1 point).",
    ]
    assert r"s_{4} &= h_{2} w_{4} + h_{3} w_{5}" in sheet  # the graph the student works on
    assert "$w_{4} = 1.5$" in sheet and r"$\eta = 0.1$" in sheet  # the point and the step size


def test_the_sheet_gives_no_answer_away():
    sheet = invoke("latex", GRADED, "--questions")
    for key, value in two_branch_values().items():
        for digits in (3, 4, 6):
            assert f"{value:.{digits}g}" not in sheet, key
    for solution_only in (r"\delta", "Chain rule", "Closed forms", r"\times", "h_{2}(1 - h_{2})"):
        assert solution_only not in sheet


def test_with_no_questions_table_every_gradient_is_asked():
    sheet = invoke("latex", "fx-plus-y-times-z", "--questions")
    items = [line for line in sheet.splitlines() if line.startswith(r"\item")]
    assert items == [rf"\item $\frac{{\partial f}}{{\partial {p}}}$, as a formula (1 point)." for p in "xyz"]


def test_wrt_keeps_the_questions_about_those_names():
    sheet = invoke("latex", GRADED, "--questions", "--wrt", "w4")
    assert sum(line.startswith(r"\item") for line in sheet.splitlines()) == 3  # q3, q5 and q6 ask about w4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--wrt", "w2"), "--wrt: no question of two-branch-grading asks about 'w2'"),
        (("--form", "delta"), "--form: shapes the solution, and --questions leaves the solution out"),
        (("--closed-limit", "5"), "--closed-limit: shapes the solution, and --questions leaves the solution out"),
    ],
)
def test_options_of_the_solution_are_refused_with_questions(args, message):
    assert message in one_error_line("latex", GRADED, "--questions", *args)


def test_the_library_function_moves_the_point():
    ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    sheet = questions_latex(ex, read_questions(ex, None), at={"x": 3})
    assert "$x = 3$, $y = 5$, $z = -4$" in sheet
    assert sheet.count(r"\item") == 3


def test_questions_standalone_is_a_document_and_never_overwrites_the_exercise(tmp_path):
    doc = invoke("latex", GRADED, "--questions", "--standalone", "--figure")
    assert doc.startswith(r"\documentclass{article}") and r"\begin{tikzpicture}" in doc
    assert r"\section*{\raggedright Sigmoid network whose first weight" in doc
    source = tmp_path / "ex.toml"
    source.write_text(Path(GRADED).read_text(encoding="utf-8"))
    before = source.read_text()
    assert "is an input of this command" in one_error_line("latex", str(source), "--questions", "-o", str(source))
    assert source.read_text() == before


def test_a_layer_rule_question_says_what_is_asked_not_the_rules_internal_name(tmp_path):
    # Lecture 001's symbols: δˡᵢ of a hidden unit, ∂L/∂Wᴸᵢⱼ of a weight into the output layer, δ = −∂L/∂net.
    path = tmp_path / "rules.toml"
    text = (Path(__file__).parent.parent / "exercises" / "lecture001-general-rules.toml").read_text()
    asks = ["delta_hidden", "dW_output", "delta_output", "dW_hidden"]
    path.write_text(text + "".join(f'\n[questions.q{n}]\nask = "rule:{name}"\n' for n, name in enumerate(asks, 1)))
    invoke("latex", str(path), "--questions", "--standalone", "-o", str(tmp_path / "sheet.tex"))
    sheet = (tmp_path / "sheet.tex").read_text()
    items = [line for line in sheet.splitlines() if line.startswith(r"\item")]
    assert items == [
        r"\item the rule for $\delta^{l}_{i}$ of a hidden unit (in index or matrix form), as a formula (1 point).",
        r"\item the rule for $\frac{\partial \mathcal{L}}{\partial W^{L}_{ij}}$ for a weight into the output layer"
        r" (in index or matrix form), as a formula (1 point).",
        r"\item the rule for $\delta^{L}_{i}$ of an output unit (in index or matrix form), as a formula (1 point).",
        r"\item the rule for $\frac{\partial \mathcal{L}}{\partial W^{l}_{ij}}$ for a weight into a hidden layer"
        r" (in index or matrix form), as a formula (1 point).",
    ]
    assert r"Here $\delta = -\partial \mathcal{L} / \partial \mathrm{net}$." in sheet
    assert r"\mathrm{hidden}" not in sheet and r"\mathrm{dW}" not in sheet
    from test_latex_compile import compile_ok

    compile_ok(tmp_path / "sheet.tex")
