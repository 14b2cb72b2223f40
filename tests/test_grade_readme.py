"""README's grading section re-run as printed: each feedback row of its table, and its example class's maximum."""

from __future__ import annotations

import json
import re

from conftest import EXAMPLES, ROOT

from symbackprop.grading.answers import read_answers
from symbackprop.grading.classroom import grade_class
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading
from symbackprop.grading.reports import json_text

# The question each row of the table answers: ∂E/∂w1 is q1, ∂E/∂w3 q2, ∂E/∂w4 q3.
KEYS = {
    "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t": "q1",
    "-(y_t - y)*w5*h1": "q2",
    "-(y_t - y)*w5*h3*h1": "q2",
    "-2*(y_t - y)*w5*h1": "q2",
    "-(y_t - y)*h2*(1 - h2)": "q3",
    "-(y_t - y)*h3": "q3",
    "-(y_t - y)*w5*h3*(1 - h3)*sigmoid(w1)": "q2",
}


def _grading_section() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Grading a class") : text.index("## Python API")]


def test_every_feedback_row_of_the_readme_is_what_grading_says():
    grader = Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))
    rows = re.findall(r"^\| `([^`]+)`(?: for ∂E/∂w4)? \| (.+) \|$", _grading_section(), re.MULTILINE)
    checked = 0
    for answer, feedback in rows:
        if answer in KEYS:
            assert grader.grade(KEYS[answer], answer).feedback == feedback, answer
            checked += 1
    assert checked == len(KEYS)
    # the last row: ben's q5 after his q4, in the example class
    report = json.loads(json_text(grade_class(grader, read_answers(EXAMPLES / "two-branch-class.csv"), jobs=0)))
    assert report["students"]["ben"]["answers"]["q5"]["feedback"] == "correct from your own earlier value dE/dy = -0.3"
    assert "| `-0.1771` after a wrong `dE/dy = -0.3` | correct from your own earlier value dE/dy = -0.3 |" in (
        _grading_section()
    )
    assert {student["max"] for student in report["students"].values()} == {9.0}
