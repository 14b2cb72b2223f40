"""Hostile answers: nothing executes, every answer gets one verdict, a stuck one is cut off, nothing is lost."""

from __future__ import annotations

import json
import tempfile
import threading
import uuid
from pathlib import Path

import pytest
from conftest import EXAMPLES

from symbackprop.errors import ParseError, SymbackpropError
from symbackprop.grading.answers import read_answers
from symbackprop.grading.classroom import grade_class, run_tasks
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading
from symbackprop.grading.reports import json_text
from symbackprop.grading.verdict import VERDICTS
from symbackprop.parse.latex import parse_any

TIMEOUT = 2.0
SENTINEL = Path(tempfile.gettempdir()) / f"symbackprop-pwned-{uuid.uuid4().hex}"

INJECTIONS = [
    f"__import__('os').system('touch {SENTINEL}')",
    f"open('{SENTINEL}', 'w')",
    "().__class__.__bases__[0].__subclasses__()",
    "h1.__class__",
    "h1[0]",
    "lambda: 0",
    "(lambda x: x)(1)",
    "__builtins__",
    "exec",
    "eval(h1)",
    "Symbol('x')",
    "sympify('h1')",
    "h1; import os",
    "h1 if 1 else 0",
    "[x for x in ()]",
    "\\input{/etc/passwd}",
    "\\def\\x{1}",
    "\\immediate\\write18{rm -rf /}",
]
BOMBS = [
    "9**9**9**9",
    "9^9^9^9",
    "10^10^10",
    "h1^(10^9)",
    "1e999999999",
    "(" * 10_000 + "h1" + ")" * 10_000,  # over the length bound
    "(" * 4_000 + "h1" + ")" * 4_000,  # within it: the depth bound
    "-" * 10_000 + "h1",
    "{" * 5_000 + "h_1" + "}" * 5_000,
    "h1" * 5_000,
    # issue 17's readers: graph names inside LaTeX, Iverson brackets, cases, left-hand sides
    "\\cdot " + "w5" * 4_990,
    "\\cdot " + "w_{1,1}" * 1_400,
    "[" + " " * 9_990 + "x",
    "\\begin{cases}" + "& " * 4_980 + "\\end{cases}",
    "=" * 9_999,
    "x" + " ;" * 4_999 + "y",
    "w" + "₁" * 9_999,
    "x" * 1_000_000,  # a megabyte
    "sqrt("
    + "9" * 999
    + ")",  # no value as a float: wrong at once (SymPy's perfect-power search once ran out the clock)
]
JUNK = [
    "",
    "   ",
    "\x00",
    "h1\x00+1",
    "\x1b[31mh1",
    "\x07\x08\x0c",
    "h\u200b1",  # zero-width space
    "\u202eh1",  # right-to-left override
    "𝑥",
    "１２",  # fullwidth digits
    "٣",  # Arabic-Indic digit
    "🙂",
    "\ufffd\ufffd",
    "σ(s3)",  # the terminal's σ is read (issue 17): this one is a (wrong) formula
    "h1 −  h1",  # the Unicode minus is an accepted alias: this one is a (wrong) formula
]
ALL = INJECTIONS + BOMBS + JUNK


def test_nothing_in_the_injections_parses():
    names = {"h1": None, "x_t": None}
    for text in INJECTIONS:
        with pytest.raises(ParseError):
            parse_any(text, names)


@pytest.fixture(scope="module")
def class_report(tmp_path_factory):
    exercise, questions = load_for_grading(EXAMPLES / "two-branch-grading.toml")
    grader = Grader(exercise, questions)
    answers = {f"s{i:03d}": {"q1": text} for i, text in enumerate(ALL)}
    path = tmp_path_factory.mktemp("hostile") / "answers.json"
    path.write_text(json.dumps(answers))
    rows = read_answers(path)
    return rows, grade_class(grader, rows, jobs=2, timeout=TIMEOUT)


def test_every_hostile_answer_gets_one_verdict(class_report):
    rows, report = class_report
    graded = [e for e in report.entries if e.row is not None]
    assert sorted(e.row for e in graded) == sorted(r.row for r in rows) == list(range(1, len(ALL) + 1))
    for entry in graded:
        assert entry.verdict.verdict in VERDICTS
    assert not SENTINEL.exists()


def test_an_answer_that_never_finishes_is_cut_off_and_its_worker_goes_on(monkeypatch):
    grader = Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))
    grade = Grader.grade

    def stuck(self, key, answer):
        if answer == "stuck":
            threading.Event().wait()  # never set: grading that would never end
        return grade(self, key, answer)

    monkeypatch.setattr(Grader, "grade", stuck)  # the forked worker inherits it
    tasks = [(0, "q3", "stuck"), (1, "q3", "-(y_t - y)*h2")]
    results = run_tasks(grader, tasks, jobs=1, timeout=0.5)
    assert results[0][0].verdict == "timeout" and results[1][0].verdict == "correct"


def test_hostile_verdicts(class_report):
    _, report = class_report
    by_answer = {e.answer: e.verdict for e in report.entries if e.row is not None}
    for text in INJECTIONS + BOMBS[:-1] + JUNK[2:-2]:
        assert by_answer[text].verdict == "unparsable", text[:40]
    assert by_answer[BOMBS[-1]].verdict == "wrong" and "no value" in by_answer[BOMBS[-1]].feedback
    assert by_answer[""].verdict == by_answer["   "].verdict == "missing"
    assert by_answer["h1 −  h1"].verdict == "wrong"  # 0 is not ∂E/∂w1
    assert "too long" in by_answer["x" * 1_000_000].feedback
    assert "too long" in by_answer["(" * 10_000 + "h1" + ")" * 10_000].feedback
    assert "nested more than" in by_answer["(" * 4_000 + "h1" + ")" * 4_000].feedback
    assert "exponent too large" in by_answer["9**9**9**9"].feedback


def test_the_report_of_hostile_answers_is_clean_text(class_report):
    _, report = class_report
    text = json_text(report)
    assert len(text) < 200_000  # the megabyte is not echoed back
    assert "\x00" not in text and "\x1b" not in text
    json.loads(text)


def test_a_csv_with_an_unterminated_quote_is_an_error_naming_its_line(tmp_path):
    """Issue 17: read leniently, the open quote would swallow s2's row into s1's answer, silently."""
    path = tmp_path / "broken.csv"
    path.write_text('student,question,answer\ns1,q3,"-(y_t - y)*h2\ns2,q3,h2\n')
    with pytest.raises(SymbackpropError, match=r"broken\.csv: line 2: a quote \(\"\) that is never closed"):
        read_answers(path)


def test_student_ids_keep_their_own_spelling_and_lookalikes_are_an_error(tmp_path):
    """Ids differing in a control character or past 200 characters are kept as written in the JSON report;
    two that would print the same in a table are refused, naming the row."""
    long_id = "s" * 250
    path = tmp_path / "ids.json"
    path.write_text(json.dumps({"a\u0007b": {"q3": "h2"}, long_id: {"q3": "h2"}}))
    rows = read_answers(path)
    exercise, questions = load_for_grading(EXAMPLES / "two-branch-grading.toml")
    data = json.loads(json_text(grade_class(Grader(exercise, questions), rows, jobs=0)))
    assert set(data["students"]) == {"a\u0007b", long_id}
    for twins in (
        {"a\u0007b": {"q3": "h2"}, "a\u0008b": {"q3": "h2"}},
        {long_id: {"q3": "h2"}, long_id + "t": {"q3": "h2"}},
    ):
        path.write_text(json.dumps(twins))
        with pytest.raises(SymbackpropError, match="would print the same"):
            read_answers(path)
