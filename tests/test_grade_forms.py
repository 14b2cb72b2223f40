"""Issue 17: grading reads what students write — the tool's own printed forms, σ, σ′, a left-hand
side, indices with a comma, plain names inside LaTeX — and says how to write what it refuses.

Every expected verdict is worked here from the network's equations, not taken from the tool.
"""

from __future__ import annotations

import pytest

from symbackprop.exercise import catalog
from symbackprop.exercise.model import load
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading, read_questions
from symbackprop.parse.printer import plain
from symbackprop.render.latex import LecturePrinter, latex
from symbackprop.render.plain import unicode
from tests.conftest import EXAMPLES

TWO_BRANCH = EXAMPLES / "two-branch-grading.toml"


@pytest.fixture(scope="module")
def two_branch() -> Grader:
    exercise, questions = load_for_grading(TWO_BRANCH)
    return Grader(exercise, questions)


def _grader(exercise_id: str) -> Grader:
    exercise = load(exercise_id)
    return Grader(exercise, read_questions(exercise, None))


def _printed_forms(grader: Grader, param: str) -> dict[str, str]:
    """Every formula `derive` prints for ∂L/∂param, in each of its three notations, from the library's printers."""
    gradient = grader.derivation.gradient(param)
    tex = LecturePrinter()
    forms = {"closed, plain": plain(gradient.closed), "closed, terminal": unicode(gradient.closed)}
    forms["closed, LaTeX"] = latex(gradient.closed)
    if not gradient.paths_omitted:
        forms["paths, plain"] = gradient.path_sum_text() or ""
        forms["paths, terminal"] = gradient.path_sum_text(unicode, "·") or ""
        products = [tex.product(list(reversed(path.factors))) for path in gradient.paths]
        forms["paths, LaTeX"] = " + ".join(products).replace("+ -", "- ")
        for index, path in enumerate(gradient.paths):
            forms[f"path {index + 1} alone, terminal"] = path.product_text(unicode, "·")
    return forms


@pytest.mark.parametrize("entry", [e.id for e in catalog.entries()])
def test_every_printed_form_grades_correct(entry: str) -> None:
    """derive's closed form and path sum, as the terminal, plain syntax and LaTeX print them, grade correct."""
    grader = _grader(entry)
    if grader.exercise.at() is None:
        pytest.skip("no point to grade at")
    for param in grader.exercise.params:
        gradient = grader.derivation.gradient(param)
        key = f"d{grader.exercise.loss}/d{param}"
        for form, text in _printed_forms(grader, param).items():
            if form.startswith("path ") and len(gradient.paths) > 1:
                # one path of several is the reference with the others missing: wrong, and named so
                verdict = grader.grade(key, text)
                assert verdict.verdict == "wrong" and "missing_path" in verdict.diagnoses, (entry, param, form)
                continue
            verdict = grader.grade(key, text)
            assert verdict.verdict == "correct", (entry, param, form, text[:120], verdict.feedback)


def test_the_readme_derive_output_pasted_back(two_branch: Grader) -> None:
    """The path sum README shows `derive --wrt w1` printing, pasted as an answer to ∂E/∂w1."""
    pasted = "-(yₜ - y)·w₄·h₂(1 - h₂)·w₂·h₁(1 - h₁)·xₜ - (yₜ - y)·w₅·h₃(1 - h₃)·w₃·h₁(1 - h₁)·xₜ"
    assert two_branch.grade("q1", pasted).verdict == "correct"
    # one path of it: the other path is missing, which q1 credits with half of its 2 points
    verdict = two_branch.grade("q1", "-(yₜ - y)·w₄·h₂(1 - h₂)·w₂·h₁(1 - h₁)·xₜ")
    assert (verdict.verdict, verdict.diagnoses, verdict.points) == ("wrong", ("missing_path",), 1.0)


# ∂E/∂w3 of the two-branch net: E = (y_t - y)²/2, y = h2·w4 + h3·w5, h3 = σ(h1·w3), so
# ∂E/∂w3 = -(y_t - y)·w5·σ′(s3)·h1 with σ′(s3) = σ(s3)(1 - σ(s3)) = h3(1 - h3).
@pytest.mark.parametrize(
    "answer",
    [
        "−(y_t − y)·w5·σ(s3)(1 − σ(s3))·h1",  # σ in plain syntax, with the Unicode minus and dot
        "-(y_t - y)*w5*sigmoid'(s3)*h1",  # σ′ as lecture 001 writes it
        "-(y_t - y)*w5*σ'(s3)*h1",
        "-(y_t - y)*w5*σ′(s3)*h1",  # the prime character itself
        r"-(y_t - y) w_5 \sigma'(s_3) h_1",
        r"-(y_t - y) \cdot w5 \cdot h3 (1-h3) \cdot h1",  # plain names inside LaTeX
        r"$-(y_t - y) \cdot w5 \cdot h_{3} (1-h_3) \cdot h1$",
        "dE/dw3 = -(y_t - y)*w5*h3*(1 - h3)*h1",  # a left-hand side
        r"\frac{\partial E}{\partial w_3} = -(y_t - y) w_5 h_3 (1-h_3) h_1",
        "-(y_t - y)*w5*h3*(1 - h3)*h1;",  # trailing punctuation
        "-(y_t - y)*w5*h3*(1 - h3)*h1.",
        "dE/dw3 = -(y_t - y)*w5*h3*(1 - h3)*h1 = 0.0222",  # the formula, then its value
    ],
)
def test_forms_students_write_for_dE_dw3(two_branch: Grader, answer: str) -> None:
    verdict = two_branch.grade("q2", answer)
    assert verdict.verdict == "correct", verdict.feedback


# dE/dy = -(y_t - y) = y - y_t; at the point y = w4·h2 + w5·h3 = 0.7231 (worked in test_grade.py), so -0.2769.
@pytest.mark.parametrize("answer", ["y - y_t = -0.277", "≈ -0.277", "dE/dy ≈ -0.277;", "-0.277.", r"\approx -0.277"])
def test_numbers_with_a_left_hand_side_or_punctuation(two_branch: Grader, answer: str) -> None:
    verdict = two_branch.grade("q4", answer)
    assert verdict.verdict == "correct_rounding", verdict.feedback


def test_long_names_between_cdots_issue_15() -> None:
    """Issue 15 (a): ∂E/∂w5 of the 2-2-2 net with \\cdot between long names read as names, not letters.

    E_total = (out_o1 - target_o1)²/2 + …, out_o1 = σ(net_o1), net_o1 = out_h1·w5 + …, so
    ∂E/∂w5 = (out_o1 - target_o1)·out_o1(1 - out_o1)·out_h1.
    """
    grader = _grader("bp-2-2-2-sigmoid-no-bias")
    latex_answer = r"-(target_o1 - out_o1) \cdot out_o1 \cdot (1 - out_o1) \cdot out_h1"
    assert grader.grade("dE_total/dw5", latex_answer).verdict == "correct"
    assert grader.grade("dE_total/dw5", latex_answer.replace(r"\cdot", "*")).verdict == "correct"
    text = r"(\text{out}_{o1} - \text{target}_{o1}) \text{out}_{o1} (1 - \text{out}_{o1}) \text{out}_{h1}"
    assert grader.grade("dE_total/dw5", text).verdict == "correct"


def test_indices_with_a_comma() -> None:
    """w_{1,1} is the graph's w1_1: L = (f2 - y)², so ∂L/∂w1_1 = 2(f2 - y)·f2(1 - f2)·w2·f1(1 - f1)·x1."""
    grader = _grader("two-layer-perceptron")
    answer = r"2(f_2 - y) f_2 (1 - f_2) w_2 f_1 (1 - f_1) x_1"
    assert grader.grade("dL/dw1_1", answer).verdict == "correct"
    assert grader.grade("dL/dw1_1", answer.replace("x_1", r"x_1 \cdot \frac{w_{1,1}}{w_{1,1}}")).verdict == "correct"


@pytest.mark.parametrize(
    ("answer", "advice"),
    [
        ("-(y_t - y)*w5*√h3*h1", "write sqrt(x)"),
        ("Σ h1", "write the sum out"),
        (r"-(y_t - y) \delta_3 h_1", "write each δ out"),
        (r"\partial E", "write only the right-hand side"),
        ("-(y_t - y)*w5*h3'*h1", "a prime is written after a function's name"),
    ],
)
def test_a_refused_form_says_how_to_write_it(two_branch: Grader, answer: str, advice: str) -> None:
    verdict = two_branch.grade("q2", answer)
    assert verdict.verdict == "unparsable"
    assert advice in verdict.feedback
