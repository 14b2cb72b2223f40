"""judge: one reading of a written number's precision, one test of equivalence, one catalog of mistakes.

The audit and grading both use them; the last tests check that one mistake gets the same
diagnosis in both. Expected numbers are worked here by hand from the equations.
"""

from __future__ import annotations

import pytest
from reference import TWO_BRANCH, sigmoid

from symbackprop.auditing.checker import audit
from symbackprop.engine.local import local_derivatives
from symbackprop.exercise.model import from_equations
from symbackprop.grading.grader import Grader
from symbackprop.judge.equivalence import (
    comparison_points,
    same_values,
    values_at,
    within_absolute,
    within_relative,
)
from symbackprop.judge.precision import read_number, written_precision
from symbackprop.parse.plain import parse

# -- precision ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "sigfigs", "half_unit"),
    [
        ("0.0406", 0.0406, 3, 0.00005),
        ("−0.0406", -0.0406, 3, 0.00005),  # the lecture's minus sign, U+2212
        ("-0.0406", -0.0406, 3, 0.00005),
        ("0.02220", 0.0222, 4, 0.000005),  # a trailing zero is written, so it counts
        ("2.5e-3", 0.0025, 2, 0.00005),
        (".5", 0.5, 1, 0.05),
        ("731.9", 731.9, 4, 0.05),
    ],
)
def test_a_plain_decimal_is_read_with_its_precision(text, value, sigfigs, half_unit):
    number = read_number(text)
    assert number is not None
    assert number.value == pytest.approx(value, abs=0)
    assert number.sigfigs == sigfigs
    assert number.half_unit == pytest.approx(half_unit, rel=1e-12)


@pytest.mark.parametrize("text", ["1e999", "2*pi", "sqrt(2)", ".", "", "0.5.5", "٣"])
def test_anything_but_a_plain_finite_decimal_has_no_written_precision(text):
    assert read_number(text) is None


def test_a_whole_number_is_exact_for_the_audit_and_a_unit_wide_for_grading():
    # "3" may be a count the lecture gives exactly; a student's "3" is 3 ± 0.5.
    three = read_number("3")
    assert three is not None and three.rounding_error == 0.0 and three.half_unit == 0.5
    assert read_number("3.0").rounding_error == 0.05


def test_grading_and_the_audit_read_the_unicode_minus_alike():
    assert written_precision("−0.0406", -0.0406) == read_number("−0.0406")


def test_a_stated_number_with_the_unicode_minus_is_carried_on_like_any_other():
    # L = (t − w)²/2 at w = 1, t = 1.23456: dL/dw = w − t = −0.23456, written −0.23 (right to two
    # decimals). One step with η = 1 gives w = 1.23456; the lecture, carrying its −0.23, writes 1.2300.
    exercise = from_equations(
        {"L": "(t - w)**2/2"},
        params=["w"],
        at={"w": 1, "t": 1.23456},
        id="minus",
        train={"lr": 1.0},
        stated={"dL/dw": "−0.23", "w@1": "1.2300"},
    )
    gradient, step = audit(exercise)
    assert gradient.verdict == "match"
    assert step.verdict == "rounded_early" and step.intermediates == ("dL/dw",)


# -- equivalence ----------------------------------------------------------------------------


def test_absolute_and_relative_closeness_are_different_tests():
    # 1000 and 1000.5 differ by 0.5: within 0.1 % of either, not within an absolute 0.1.
    assert within_relative(1000.0, 1000.5, 1e-3) and not within_absolute(1000.0, 1000.5, 0.1)
    # 1e-6 and 2e-6 differ by 1e-6: within an absolute 1e-5, yet one is twice the other.
    assert within_absolute(1e-6, 2e-6, 1e-5) and not within_relative(1e-6, 2e-6, 1e-3)


def test_the_comparison_points_start_at_the_exercise_point_and_skip_where_the_graph_has_no_value():
    # log(w) near w = 0.01: random points around it fall below 0 about half the time.
    exercise = from_equations({"L": "log(w)"}, params=["w"], at={"w": 0.01}, id="log-near-zero")
    points = comparison_points(exercise, local_derivatives(exercise))
    assert points[0].values["w"] == 0.01
    assert len(points) == 5 and all(p.values["w"] > 0 for p in points)
    # ∂L/∂w = 1/w at every point
    assert all(p.adjoints["w"] == pytest.approx(1 / p.values["w"]) for p in points)
    again = comparison_points(exercise, local_derivatives(exercise))
    assert [p.values["w"] for p in again] == [p.values["w"] for p in points]  # seeded: the same every run


def test_a_node_name_and_its_definition_have_the_same_values():
    exercise = from_equations({"h": "sigmoid(w*x)", "E": "(t - h)**2/2"}, params=["w"], at={"w": 1, "x": 2, "t": 1})
    points = comparison_points(exercise, local_derivatives(exercise))
    symbols = exercise.symbols
    names = values_at(parse("h*(1 - h)", symbols.__getitem__), points, symbols)
    definition = values_at(parse("sigmoid(w*x)*(1 - sigmoid(w*x))", symbols.__getitem__), points, symbols)
    assert same_values(names, definition) is True
    assert names[0] == pytest.approx(sigmoid(2) * (1 - sigmoid(2)))
    assert same_values(names, values_at(parse("h", symbols.__getitem__), points, symbols)) is False


def test_values_that_have_nothing_in_common_decide_nothing():
    assert same_values([None, None], [1.0, 2.0]) is None


# -- one catalog, two users -----------------------------------------------------------------


def two_branch(stated: dict[str, str]):
    """Lecture 003's two-branch network at the catalog's point."""
    at = {"x_t": 1, "y_t": 1, "w1": 1, "w2": 0.5, "w3": -1, "w4": 1.5, "w5": -0.5}
    return from_equations(TWO_BRANCH, params=["w1", "w2", "w3", "w4", "w5"], at=at, id="two-branch", stated=stated)


@pytest.mark.parametrize(
    ("key", "formula", "kinds"),
    [
        # only the path through h2
        ("dE/dw1", "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t", ("missing_path",)),
        # ∂h3/∂s3 = h3(1 − h3) left out
        ("dE/dw3", "-(y_t - y)*w5*h1", ("missing_factor",)),
        # σ written for σ′
        ("dE/dw3", "-(y_t - y)*w5*h3*h1", ("activation_derivative",)),
        # (y_t − y) for −(y_t − y)
        ("dE/dw4", "(y_t - y)*h2", ("sign",)),
    ],
)
def test_a_wrong_formula_gets_the_same_words_from_the_audit_and_from_grading(key, formula, kinds):
    exercise = two_branch({key: formula})
    [entry] = audit(exercise)
    verdict = Grader(exercise, {}).grade(key, formula)
    assert entry.verdict == "mismatch" and verdict.verdict == "wrong"
    assert verdict.diagnoses == kinds
    assert entry.diagnosis == verdict.feedback


def test_a_wrong_number_gets_the_same_words_from_the_audit_and_from_grading():
    # ∂E/∂w4 = −(y_t − y)·h2 at the point, by hand; the number written with its sign flipped
    h1 = sigmoid(1.0)
    h2, h3 = sigmoid(0.5 * h1), sigmoid(-h1)
    y = 1.5 * h2 - 0.5 * h3
    flipped = f"{(1 - y) * h2:.5f}"
    exercise = two_branch({"dE/dw4": flipped})
    [entry] = audit(exercise)
    verdict = Grader(exercise, {}).grade("dE/dw4", flipped)
    assert verdict.diagnoses == ("sign",)
    assert entry.diagnosis == verdict.feedback == "the sign is flipped"


def test_a_number_from_intermediates_rounded_too_early_gets_the_same_words_from_both():
    # h = σ(w·x), E = (t − h)²/2 at w = 1, x = 2, t = 1: ∂E/∂w = −(t − h)·h(1 − h)·x.
    # Exactly, h = σ(2) = 0.880797… and ∂E/∂w = −0.02503…; with h rounded to 0.88 first,
    # −(1 − 0.88)·0.88·(1 − 0.88)·2 = −0.025344, which −0.02534 (±0.000005) stands for.
    h = sigmoid(2.0)
    assert -(1 - h) * h * (1 - h) * 2 == pytest.approx(-0.02503, abs=1e-5)
    exercise = from_equations(
        {"h": "sigmoid(w*x)", "E": "(t - h)**2/2"},
        params=["w"],
        at={"w": 1, "x": 2, "t": 1},
        id="rounded",
        stated={"dE/dw": "-0.02534"},
    )
    [entry] = audit(exercise)
    verdict = Grader(exercise, {}).grade("dE/dw", "-0.02534")
    assert entry.verdict == "mismatch" and verdict.diagnoses == ("rounded_early",)
    assert entry.diagnosis == verdict.feedback
    assert "rounded to 2 significant figures" in entry.diagnosis


@pytest.mark.parametrize("text", ["0e400", "0.0e310", "1e-400", "1e400"])
def test_a_number_whose_value_or_last_digit_is_past_a_float_is_not_read(text):
    assert read_number(text) is None


def test_spaces_around_a_number_are_read_in_linear_time():
    # 20 000 spaces and a letter: two \s* runs splitting the spaces would take ~10^8 steps.
    assert read_number(" " * 20_000 + "x") is None
    assert read_number(" " * 20_000 + "- 0.25" + " " * 20_000) == read_number("-0.25")
