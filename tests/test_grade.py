"""Grading: equivalence on the graph, numeric tolerance, diagnoses, carried-forward credit, the class.

Every expected number is computed here by hand from the network's equations (math only),
never copied from the tool's output.
"""

from __future__ import annotations

import json
import math
import re

import pytest
from conftest import EXAMPLES

from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations
from symbackprop.grading.answers import Row, parse_csv
from symbackprop.grading.classroom import grade_class, run_tasks
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading, read_questions
from symbackprop.grading.reports import json_text
from symbackprop.judge.precision import written_precision


def sigma(x: float) -> float:
    return 1 / (1 + math.exp(-x))


# The two-branch network at its point, by hand: x_t = y_t = w1 = 1, w2 = .5, w3 = −1, w4 = 1.5, w5 = −.5.
H1 = sigma(1.0)
H2 = sigma(0.5 * H1)
H3 = sigma(-1.0 * H1)
Y = 1.5 * H2 - 0.5 * H3
DE_DY = -(1.0 - Y)
DE_DW4 = DE_DY * H2
DE_DW3 = DE_DY * (-0.5) * H3 * (1 - H3) * H1


@pytest.fixture(scope="module")
def two_branch():
    exercise, questions = load_for_grading(EXAMPLES / "two-branch-grading.toml")
    return Grader(exercise, questions)


@pytest.fixture(scope="module")
def four_paths():
    exercise, questions = load_for_grading(EXAMPLES / "four-paths-grading.toml")
    return Grader(exercise, questions)


@pytest.mark.parametrize(
    "answer",
    [
        "-(y_t - y)*w5*h3*(1 - h3)*h1",  # node names, as the lecture writes it
        "-(y_t - y)*w5*sigmoid(s3)*(1 - sigmoid(s3))*sigmoid(x_t*w1)",  # definitions
        "-(y_t - w4*sigmoid(w2*sigmoid(w1*x_t)) - w5*sigmoid(w3*sigmoid(w1*x_t)))*w5"
        "*sigmoid(w3*sigmoid(w1*x_t))*(1 - sigmoid(w3*sigmoid(w1*x_t)))*sigmoid(w1*x_t)",  # inputs and params only
        r"-(y_t - y) \cdot w_5 \, h_3 (1 - h_3) h_1",  # LaTeX
        "(y - y_t)*h1*w5*h3 - (y - y_t)*h1*w5*h3^2",  # expanded
    ],
)
def test_the_same_gradient_in_any_names_is_correct(two_branch, answer):
    verdict = two_branch.grade("q2", answer)
    assert (verdict.verdict, verdict.points) == ("correct", 2.0)


@pytest.mark.parametrize(
    ("question", "answer", "kind", "names", "points"),
    [
        # q1 (2 points, missing_path = 0.5): only the path through h2 is written.
        (
            "q1",
            "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t",
            "missing_path",
            "w1 → s1 → h1 → s3 → h3 → s4 → y → E",
            1.0,
        ),
        # q2 (2 points, missing_factor = 0.5): σ′ at h3 left out.
        ("q2", "-(y_t - y)*w5*h1", "missing_factor", "∂h3/∂s3 = h3*(1 - h3)", 1.0),
        # q2: σ written for σ(1 − σ).
        ("q2", "-(y_t - y)*w5*h3*h1", "activation_derivative", "h3*(1 - h3), not h3", 1.0),
        # q2: an h2 that is on no path of w3.
        ("q2", "-(y_t - y)*w5*h3*(1 - h3)*h1*h2", "extra_factor", "h2", 1.0),
        # q2 gives no credit for a sign slip (no partial.sign); q3 gives half.
        ("q2", "(y_t - y)*w5*h3*(1 - h3)*h1", "sign", "sign", 0.0),
        ("q3", "(y_t - y)*h2", "sign", "sign", 0.5),
        # q3: the ½ of the loss forgotten: 2·(y_t − y)·h2.
        ("q3", "-2(y_t - y)*h2", "factor_2", "factor of 2", 0.5),
    ],
)
def test_wrong_answers_are_diagnosed_by_name(two_branch, question, answer, kind, names, points):
    verdict = two_branch.grade(question, answer)
    assert verdict.verdict == "wrong"
    assert verdict.diagnoses[0] == kind
    assert names in verdict.feedback
    assert verdict.points == points


def test_two_mistakes_at_once_are_both_named(two_branch):
    # No σ′ and the sign flipped: (y_t − y)·w5·h1.
    verdict = two_branch.grade("q2", "(y_t - y)*w5*h1")
    assert verdict.diagnoses == ("sign", "missing_factor")


def test_an_unrelated_answer_is_wrong_without_a_diagnosis(two_branch):
    verdict = two_branch.grade("q2", "w1 + w2")
    assert verdict.verdict == "wrong" and verdict.diagnoses == () and verdict.points == 0


def test_numeric_answers_are_judged_by_the_digits_written(two_branch):
    # dE/dy = −(1 − y) ≈ −0.27691: "−0.2769" is within ±0.00005 of it, "−0.2760" is not.
    assert abs(-0.2769 - DE_DY) < 5e-5 and abs(-0.2760 - DE_DY) > 5e-5
    assert two_branch.grade("q4", "-0.2769").verdict == "correct_rounding"
    assert two_branch.grade("q4", "-0.2760").verdict == "wrong"
    # Two significant figures are fewer than the default three, even though −0.28 is dE/dy rounded.
    too_short = two_branch.grade("q4", "-0.28")
    assert too_short.verdict == "wrong" and "significant figures" in too_short.feedback
    # dE/dw3 = −(1 − y)·w5·h3(1 − h3)·h1 ≈ 0.0222038: "0.02220" (4 figures) stands for it.
    assert abs(0.02220 - DE_DW3) < 5e-6
    assert two_branch.grade("q7", "0.02220").verdict == "correct_rounding"
    # An exact expression is compared exactly.
    assert two_branch.grade("q4", f"-(1 - ({1.5 * H2!r} - {0.5 * H3!r}))").verdict == "correct"


def test_written_precision_counts_significant_figures():
    assert written_precision("0.02220", 0.0222).sigfigs == 4  # the trailing zero is written, so it counts
    assert written_precision("1.5e-3", 0.0015).half_unit == pytest.approx(0.5e-4)
    assert written_precision("sqrt(2)", 1.41).half_unit is None


def test_relative_and_absolute_tolerances():
    ex = from_equations({"L": "w**2"}, at={"w": 3})  # dL/dw = 2w = 6
    table = {
        "rel": {"ask": "dL/dw", "form": "numeric", "mode": "relative", "tolerance": 0.01},
        "abs": {"ask": "dL/dw", "form": "numeric", "mode": "absolute", "tolerance": 0.5},
    }
    grader = Grader(ex, read_questions(ex, table))
    assert grader.grade("rel", "6.05").verdict == "correct_rounding"  # 0.05 ≤ 1% of 6 = 0.06
    assert grader.grade("rel", "6.07").verdict == "wrong"  # 0.07 > 0.06
    assert grader.grade("abs", "6.4").verdict == "correct_rounding"  # 0.4 ≤ 0.5
    assert grader.grade("abs", "6.6").verdict == "wrong"
    assert grader.grade("abs", "6").verdict == "correct"


def test_rounding_intermediate_values_too_early_is_named():
    # h = σ(2) = 0.880797…; dE/dw = −(t − h)·h(1 − h)·x with t = 1, x = 2.
    ex = from_equations({"h": "sigmoid(w*x)", "E": "(t - h)**2/2"}, params=["w"], at={"w": 1, "x": 2, "t": 1})
    grader = Grader(ex, read_questions(ex, None))
    h = sigma(2.0)
    exact = -(1 - h) * h * (1 - h) * 2
    early = -(1 - 0.88) * 0.88 * (1 - 0.88) * 2  # h rounded to 0.88 first: −0.025344
    assert abs(round(early, 5) - exact) > 5e-6  # so "-0.02534" is not the exact value rounded
    verdict = grader.grade("dE/dw@0", f"{early:.4g}")
    assert verdict.diagnoses == ("rounded_early",)
    assert "rounded to 2 significant figures" in verdict.feedback  # 0.88 has two


def test_e0_read_as_e_is_named(four_paths):
    # At w = 0 every e^w is 1; the paths give −1 − 2·e⁰ + π·e⁰ + π = 2π − 3. With e⁰ taken as e on
    # the edge ∂v/∂w = e^w (on the two paths through v): −1 − 2e + πe + π.
    answer = -1 - 2 * math.e + math.pi * math.e + math.pi
    verdict = four_paths.grade("value", f"{answer:.5f}")
    assert verdict.diagnoses == ("e0_as_e",) and "exp(w)" in verdict.feedback
    assert verdict.points == 1.0  # 2 points, partial e0_as_e = 0.5


def test_missing_paths_are_named_for_numbers_too(four_paths):
    # Without the path w → v → t → y (value π·e⁰·cos(π)·(−1) = π): 2π − 3 − π = π − 3 = 0.14159…
    verdict = four_paths.grade("value", "0.14159")
    assert verdict.diagnoses == ("missing_path",) and "w → v → t → y" in verdict.feedback


def test_carried_forward_credits_steps_done_right_from_a_wrong_value(two_branch):
    # The student's dE/dy is −0.3 (wrong). Then dE/dw4 = dE/dy·h2 = −0.3·h2 and, after one step
    # with η = 0.1, w4 = 1.5 − 0.1·(−0.3·h2): both right from their own value.
    carried_w4_grad = -0.3 * H2
    carried_w4 = 1.5 - 0.1 * carried_w4_grad
    assert abs(round(carried_w4_grad, 4) - DE_DW4) > 5e-5  # wrong against the true gradient
    rows = [
        Row(2, "s", "q4", "-0.3000"),
        Row(3, "s", "q5", f"{carried_w4_grad:.4f}"),
        Row(4, "s", "q6", f"{carried_w4:.5f}"),
    ]
    report = grade_class(two_branch, rows, jobs=0)
    verdicts = {e.question: e.verdict for e in report.entries}
    assert verdicts["q4"].verdict == "wrong"
    assert verdicts["q5"].verdict == "carried_forward" and "dE/dy = -0.3" in verdicts["q5"].feedback
    assert verdicts["q6"].verdict == "carried_forward"
    assert verdicts["q5"].points == 1.0


def test_the_same_quantity_spelled_twice_is_one_answer_and_cannot_carry_itself_forward(two_branch):
    # q6 asks w4@1 (the true value 1.5 − 0.1·dE/dw4 ≈ 1.516); 9 is wrong under either spelling,
    # and one spelling must not explain the other as "carried forward".
    rows = [Row(2, "m", "q6", "9"), Row(3, "m", "w4@01", "9")]
    report = grade_class(two_branch, rows, jobs=0)
    graded = [e for e in report.entries if e.row is not None]
    assert [e.verdict.verdict for e in graded] == ["wrong", "wrong"]
    assert [e.counted for e in graded] == [False, True]  # the later one counts, as for any repeat
    assert not any(e.question == "q6" and e.verdict.verdict == "missing" for e in report.entries)
    assert json.loads(json_text(report))["students"]["m"]["max"] == sum(q.points for q in two_branch.questions.values())


@pytest.mark.parametrize("answer", ["sqrt(-1)", "log(-h1)", "10^9999", "1e308*10"])
def test_an_answer_with_no_value_at_the_point_is_wrong_at_once(two_branch, answer):
    verdict = two_branch.grade("dE/dw3", answer)
    assert verdict.verdict in ("wrong", "unparsable") and verdict.points == 0.0


def test_feedback_is_bounded_whatever_the_answer_quotes(two_branch):
    answer = "+".join(f"sin(10^{4000 - k})" for k in range(300))
    [(verdict, _)] = run_tasks(two_branch, [(0, "q7", answer)], jobs=0, timeout=60).values()
    assert len(verdict.feedback) <= 401


def test_a_key_that_spells_one_questions_quantity_is_graded_as_that_question(two_branch):
    # q1 asks dE/dw1 for 2 points; the same formula keyed dE/dw1 earns q1's 2, not a 1-point extra.
    formula = "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t - (y_t - y)*w5*h3*(1 - h3)*w3*h1*(1 - h1)*x_t"
    report = grade_class(two_branch, [Row(2, "s", "dE/dw1", formula)], jobs=0)
    [entry] = [e for e in report.entries if e.row is not None]
    assert (entry.asked, entry.verdict.verdict, entry.verdict.points) == ("q1", "correct", 2.0)
    # q3 (a formula) and q5 (a number) both ask dE/dw4: a key dE/dw4 is neither, and cancels nothing.
    rows = [Row(2, "s", "q3", "-(y_t - y)*h2"), Row(3, "s", "dE/dw4", f"{DE_DW4:.4f}")]
    report = grade_class(two_branch, rows, jobs=0)
    graded = {e.question: e for e in report.entries if e.row is not None}
    assert graded["q3"].counted and graded["q3"].verdict.verdict == "correct"
    assert graded["dE/dw4"].asked == "dE/dw4"


def test_a_step_after_the_point_is_no_question_without_a_learning_rate():
    ex = from_equations({"E": "(y_t - w*x)**2/2"}, params=["w"], at={"w": 1, "x": 1, "y_t": 0})
    grader = Grader(ex, read_questions(ex, None))
    assert grader.question("w@1") is None and grader.grade("w@1", "0.9").verdict == "unparsable"


def test_carried_forward_needs_the_questions_precision_and_a_wrong_source(two_branch):
    # −0.2 and 0.02 have one significant figure where the questions ask three: a wrong
    # dE/dy = −0.3 alongside must not turn them into credit.
    rows = [Row(2, "a", "q5", "-0.2"), Row(3, "a", "q7", "0.02"), Row(4, "b", "q4", "-0.3000")]
    rows += [Row(5, "b", "q5", "-0.2"), Row(6, "b", "q7", "0.02")]
    report = grade_class(two_branch, rows, jobs=0)
    assert all(e.verdict.points == 0.0 for e in report.entries)
    # dE/dy = −0.277 is right to its precision, so it explains nothing: a later answer is graded
    # on its own (here dE/dw3 computed from rounded values: partial credit, as for anyone).
    alone = grade_class(two_branch, [Row(2, "c", "q7", "0.02221")], jobs=0)
    after = grade_class(two_branch, [Row(2, "c", "q4", "-0.277"), Row(3, "c", "q7", "0.02221")], jobs=0)
    q7 = [next(e.verdict for e in r.entries if e.question == "q7") for r in (alone, after)]
    assert q7[0] == q7[1] and q7[0].verdict != "carried_forward"


def test_default_questions_are_every_gradient_symbolic_worth_one():
    ex = from_equations({"q": "x + y", "f": "q*z"}, at={"x": -2, "y": 5, "z": -4})
    questions = read_questions(ex, None)
    assert {q.quantity.key: (q.form, q.points) for q in questions.values()} == {
        "df/dx": ("symbolic", 1.0),
        "df/dy": ("symbolic", 1.0),
        "df/dz": ("symbolic", 1.0),
    }


@pytest.mark.parametrize(
    ("table", "key"),
    [
        ({"q": {"ask": "dE/dw9"}}, "questions.q.ask"),
        ({"q": {"ask": "dE/dw1", "form": "essay"}}, "questions.q.form"),
        ({"q": {"ask": "dE/dw1", "points": -1}}, "questions.q.points"),
        ({"q": {"ask": "dE/dw1", "points": float("inf")}}, "questions.q.points"),
        ({"q": {"ask": "dE/dw1", "tolerance": float("nan")}}, "questions.q.tolerance"),
        ({"q": {"ask": "dE/dw1", "mode": "relative"}}, "questions.q.tolerance"),
        ({"q": {"ask": "dE/dw1", "partial": {"sign": 2}}}, "questions.q.partial.sign"),
        ({"q": {"ask": "dE/dw1", "colour": "red"}}, "questions.q.colour"),
    ],
)
def test_bad_questions_name_the_key(two_branch, table, key):
    with pytest.raises(SymbackpropError) as caught:
        read_questions(two_branch.exercise, table, source="ex.toml")
    assert f"ex.toml: {key}:" in str(caught.value)


def test_every_row_appears_once_and_the_report_repeats(two_branch):
    text = (EXAMPLES / "two-branch-class.csv").read_text()
    rows = parse_csv(text)
    # fay's sqrt of a 999-digit number has no value as a float: wrong at once, in every run.
    first = grade_class(two_branch, rows, jobs=1, timeout=2)
    second = grade_class(two_branch, rows, jobs=2, timeout=2)
    # Each row of the file is one entry; the others are questions a student left unanswered.
    from_rows = sorted((e.row, e.question) for e in first.entries if e.row is not None)
    assert from_rows == sorted((r.row, r.question) for r in rows)
    assert all(e.verdict.verdict == "missing" for e in first.entries if e.row is None)
    assert json_text(first) == json_text(second)


def test_an_answer_that_takes_too_much_memory_is_stopped_and_its_worker_goes_on(two_branch, monkeypatch):
    grade = Grader.grade

    def greedy(self, key, answer):
        if answer == "greedy":
            bytearray(1 << 30)  # 1 GiB, four times the cap below: a runaway simplification
        return grade(self, key, answer)

    monkeypatch.setattr(Grader, "grade", greedy)  # the forked worker inherits it
    tasks = [(0, "q3", "greedy"), (1, "q3", "-(y_t - y)*h2")]
    results = run_tasks(two_branch, tasks, jobs=1, timeout=60, memory=256 << 20)
    stopped, after = results[0][0], results[1][0]
    assert (stopped.verdict, stopped.points) == ("timeout", 0.0)
    assert stopped.feedback == "not graded: needed more memory than grading may use"
    assert after.verdict == "correct"


def test_a_duplicate_row_is_graded_but_only_the_last_counts(two_branch):
    rows = [Row(2, "s", "q3", "(y_t - y)*h2"), Row(3, "s", "q3", "-(y_t - y)*h2")]
    report = grade_class(two_branch, rows, jobs=0)
    graded = [e for e in report.entries if e.question == "q3"]
    assert [(e.verdict.verdict, e.counted, e.verdict.points) for e in graded] == [
        ("wrong", False, 0.0),
        ("correct", True, 1.0),
    ]


def test_every_catalog_gradient_is_correct_as_the_engine_writes_it_and_wrong_negated():
    from symbackprop.exercise.catalog import entries
    from symbackprop.exercise.model import load
    from symbackprop.parse.printer import plain

    for entry in entries():
        exercise = load(entry.id)
        grader = Grader(exercise, read_questions(exercise, None))
        for qid, question in grader.questions.items():
            gradient = grader.derivation.gradient(question.quantity.name)
            # The path sum in node names is the reference itself: it must be "correct" …
            answer = gradient.path_sum_text() or plain(gradient.closed)
            assert grader.grade(qid, answer).verdict == "correct", (entry.id, qid)
            # … and its negation, when the gradient is not 0 at the point, a sign slip.
            if grader.step_point(question.quantity.step).adjoints[question.quantity.name]:
                assert grader.grade(qid, f"-({answer})").diagnoses[0] == "sign", (entry.id, qid)


def test_values_after_a_training_step_come_from_gradient_descent(two_branch):
    # w4 after one step with η = 0.1: 1.5 − 0.1·∂E/∂w4, with ∂E/∂w4 = −(1 − y)·h2 by hand.
    w4_after = 1.5 - 0.1 * DE_DW4
    assert two_branch.grade("q6", f"{w4_after:.6f}").verdict == "correct_rounding"
    assert two_branch.grade("q6", "1.5000").verdict == "wrong"  # the step not taken
    # h1 after the step: σ(x_t·w1) with w1 = 1 − 0.1·∂E/∂w1, ∂E/∂w1 summed over both paths.
    de_dw1 = DE_DY * (1.5 * H2 * (1 - H2) * 0.5 + (-0.5) * H3 * (1 - H3) * (-1.0)) * H1 * (1 - H1)
    assert two_branch.grade("h1@1", f"{sigma(1 - 0.1 * de_dw1):.6f}").verdict == "correct_rounding"


def test_delta_keys_ask_for_minus_the_gradient():
    # δ = −∂E/∂net = (t − o)·o(1 − o) for o = σ(net), E = (t − o)²/2.
    ex = from_equations({"net": "w*x", "o": "sigmoid(net)", "E": "(t - o)**2/2"}, params=["w"],
                        at={"w": 0.5, "x": 1, "t": 1})  # fmt: skip
    grader = Grader(ex, {})
    assert grader.grade("-dE/dnet", "(t - o)*o*(1 - o)").verdict == "correct"
    assert grader.grade("-dE/dnet", "-(t - o)*o*(1 - o)").diagnoses == ("sign",)
    o = sigma(0.5)
    assert grader.grade("-dE/dnet", f"{(1 - o) * o * (1 - o):.5f}").verdict == "correct_rounding"


def test_a_quantity_key_outside_the_questions_adds_to_no_maximum(two_branch):
    """Issue 15 (b): h1 is not one of q1…q7 (9 points). It is graded (σ(1) = 0.731059, right) but worth
    nothing, so the student who answered it is out of 9 like everyone else."""
    rows = [Row(2, "s", "h1", f"{H1:.4f}"), Row(3, "t", "q3", "-(y_t - y)*h2")]
    report = grade_class(two_branch, rows, jobs=0)
    students = json.loads(json_text(report))["students"]
    assert (students["s"]["total"], students["s"]["max"]) == (0.0, 9.0)
    assert (students["t"]["total"], students["t"]["max"]) == (1.0, 9.0)
    h1 = students["s"]["answers"]["h1"]
    assert (h1["verdict"], h1["points"], h1["max"]) == ("correct_rounding", 0.0, 0.0)
    assert h1["feedback"].endswith("(not asked: no points)")


def test_an_unasked_value_still_carries_forward(two_branch):
    """A wrong y = 0.800 (the true y is 0.7231) explains dE/dy = y - y_t = 0.800 - 1 = -0.200 (q4)."""
    rows = [Row(2, "s", "y", "0.800"), Row(3, "s", "q4", "-0.200")]
    report = grade_class(two_branch, rows, jobs=0)
    answers = json.loads(json_text(report))["students"]["s"]["answers"]
    assert answers["y"]["verdict"] == "wrong" and answers["y"]["max"] == 0.0
    assert answers["q4"]["verdict"] == "carried_forward" and answers["q4"]["points"] == 1.0


@pytest.mark.parametrize(
    ("key", "message"),
    [
        ("da" + " " * 150_000 + "x", "too long for a quantity key"),  # once a quadratic-time regex match
        ("w1@101", "past the last one a key may name (100)"),
    ],
)
def test_a_quantity_key_past_its_bounds_names_no_question(two_branch, key, message):
    from symbackprop.exercise.quantities import parse_quantity

    assert two_branch.question(key) is None
    with pytest.raises(SymbackpropError, match=re.escape(message)):
        parse_quantity(key, two_branch.exercise)


@pytest.mark.parametrize(
    ("spec", "key", "message"),
    [
        ({"ask": "dE/dw1", "form": "numeric", "tolerance": 0.1}, "tolerance", 'needs mode = "relative"'),
        ({"ask": "dE/dw1", "form": "symbolic", "sigfigs": 4}, "form", "a symbolic answer is exact"),
        ({"ask": "w1@2", "form": "numeric"}, "ask", "needs a [train] lr"),
    ],
)
def test_a_question_option_that_would_be_ignored_is_an_error(spec, key, message):
    ex = from_equations({"E": "(y_t - w1*x)**2/2"}, params=["w1"], at={"w1": 1, "x": 1, "y_t": 0})
    with pytest.raises(SymbackpropError, match=re.escape(message)) as caught:
        read_questions(ex, {"q1": spec}, source="ex.toml")
    assert caught.value.key == f"questions.q1.{key}"


def test_a_spurious_factor_is_named_by_the_node_written_not_an_upstream_one_of_equal_value():
    # h = relu(z) equals z wherever z > 0, so at every point near z = w·x = 2 the two are one
    # factor by value; the answer writes h, and the lecture's names are read downstream first.
    exercise = from_equations(
        {"z": "w*x", "h": "relu(z)", "y": "h*v", "L": "(y - t)**2/2"},
        params=["w", "v"],
        at={"w": 1, "x": 2, "v": 0.5, "t": 0},
    )
    verdict = Grader(exercise, {}).grade("dL/dv", "(y - t)*h*h")  # ∂L/∂v = (y − t)·h
    assert verdict.diagnoses == ("extra_factor",) and verdict.feedback == "a spurious factor h"
