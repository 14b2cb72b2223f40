"""Answers files: long and wide CSV, JSON, and everything odd a class can put in them."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest
from conftest import EXAMPLES

from symbackprop.errors import SymbackpropError
from symbackprop.grading import answers
from symbackprop.grading.answers import Row, parse_csv, parse_json, read_answers


def test_long_form_keeps_every_row_in_order():
    text = "student,question,answer\ns1,q1,h1\ns1,q1,h2\ns2,q2,\n"
    # The duplicate (s1, q1) and the empty answer are rows too: rows 2, 3 and 4 of the file.
    assert parse_csv(text) == [Row(2, "s1", "q1", "h1"), Row(3, "s1", "q1", "h2"), Row(4, "s2", "q2", "")]


def test_an_unquoted_comma_in_a_long_form_answer_is_joined_back():
    assert parse_csv("student,question,answer\ns1,q1,max(a, b)\n")[0].answer == "max(a, b)"


def test_a_short_row_is_kept_with_no_answer():
    assert parse_csv("student,question,answer\ns1\n") == [Row(2, "s1", "", None)]


def test_wide_form_gives_one_row_per_cell_and_keeps_stray_cells():
    text = "student,q1,q2\ns1,h1\ns2,h1,h2,extra\n"
    assert parse_csv(text) == [
        Row(2, "s1", "q1", "h1"),
        Row(2, "s1", "q2", None),  # the cell is absent: a missing answer, still a row
        Row(3, "s2", "q1", "h1"),
        Row(3, "s2", "q2", "h2"),
        Row(3, "s2", "(column 4)", "extra"),
    ]


def test_json_values_of_every_kind_become_rows():
    rows = parse_json('{"s1": {"q1": 0.5, "q2": null, "q3": ["x"], "q4": true}, "s2": "not an object"}')
    assert [(r.question, r.answer) for r in rows] == [
        ("q1", "0.5"),
        ("q2", None),
        ("q3", '["x"]'),
        ("q4", "true"),
        ("", "not an object"),
    ]


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", b"{not json", "not valid JSON: line 1, column 2"),
        ("a.json", b"[1, 2]", "expected an object"),
        ("a.csv", b"name,answer\nx,y\n", "row 1: expected a header"),
        ("a.csv", b"", "no rows"),
    ],
)
def test_unreadable_files_are_one_error_naming_the_file(tmp_path, name, content, message):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(SymbackpropError) as caught:
        read_answers(path)
    assert str(caught.value).startswith(str(path)) and message in str(caught.value)


def test_missing_file_and_directory(tmp_path):
    with pytest.raises(SymbackpropError, match="no such file"):
        read_answers(tmp_path / "nope.csv")
    with pytest.raises(SymbackpropError, match="is a directory"):
        read_answers(tmp_path)


def test_binary_junk_is_kept_as_text(tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"student,question,answer\ns1,q1,\xff\xfe\x00h1\n")
    # Undecodable bytes become U+FFFD, the NUL stays: the parser will call it unparsable.
    assert read_answers(path) == [Row(2, "s1", "q1", "\ufffd\ufffd\x00h1")]


def _outcome_within(path: Path, seconds: float = 5.0) -> list:
    """What read_answers(path) raised (or None), run in a thread; empty if it was still reading after ``seconds``."""
    outcome: list = []

    def run():
        try:
            read_answers(path)
            outcome.append(None)
        except BaseException as error:  # a MemoryError too: the test says what was raised
            outcome.append(error)

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    thread.join(seconds)
    return outcome


@pytest.mark.parametrize("kind", ["device", "fifo"])
def test_a_device_or_fifo_is_refused_without_reading_it(tmp_path, kind):
    if kind == "device":
        path = Path("/dev/zero")  # endless, and st_size 0: read whole it exhausts memory
        if not path.exists():
            pytest.skip("no /dev/zero")
    else:
        if not hasattr(os, "mkfifo"):
            pytest.skip("no FIFOs")
        path = tmp_path / "answers.csv"
        os.mkfifo(path)  # no writer: opening it to read would wait forever
    outcome = _outcome_within(path)
    if not outcome and kind == "fifo":  # the reader is stuck in open: a writer that closes lets it go
        os.close(os.open(path, os.O_WRONLY | os.O_NONBLOCK))
    assert outcome, f"read_answers({path}) did not return"
    assert isinstance(outcome[0], SymbackpropError)
    assert str(outcome[0]) == f"{path}: not a regular file (a device, pipe or socket): give a file on disk"


def test_the_size_bound_holds_when_st_size_says_0(monkeypatch):
    path = Path("/proc/self/status")  # a regular file of some hundred bytes whose st_size is 0
    if not path.exists() or path.stat().st_size != 0:
        pytest.skip("no /proc file with st_size 0")
    monkeypatch.setattr(answers, "MAX_FILE_BYTES", 16)
    with pytest.raises(SymbackpropError, match=r"^/proc/self/status: larger than "):
        read_answers(path)


def test_a_json_integer_too_long_for_int_makes_that_answer_unreadable():
    rows = parse_json('{"s": {"q4": ' + "1" * 5000 + ', "q5": "-0.1635"}}', source="a.json")
    assert rows[0].unreadable == "a number of 5000 digits is too long (at most 4300)"
    assert (rows[1].answer, rows[1].unreadable) == ("-0.1635", "")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("1e400", "the number '1e400' is out of range (not finite)"),  # float() makes it inf
        ("-Infinity", "-Infinity is not a finite number"),  # Python's reader accepts these names
        ("[1, NaN]", "NaN is not a finite number"),  # inside a list answer too
    ],
)
def test_a_non_finite_json_number_makes_that_answer_unparsable_not_the_file_an_error(value, why):
    """Issue 17: one unreadable number is that answer's problem; the other answers are graded."""
    from symbackprop.grading.classroom import grade_class
    from symbackprop.grading.grader import Grader
    from symbackprop.grading.questions import load_for_grading

    rows = parse_json('{"s1": {"q3": "(y - y_t)*h2", "q4": ' + value + "}}", source="a.json")
    assert [row.unreadable for row in rows] == ["", why]
    grader = Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))
    entries = {e.question: e.verdict for e in grade_class(grader, rows, jobs=0).entries}
    assert entries["q3"].verdict == "correct"  # ∂E/∂w4 = -(y_t - y)·h2
    assert (entries["q4"].verdict, entries["q4"].feedback) == ("unparsable", f"cannot read the answer: {why}")


def test_an_unterminated_csv_quote_is_an_error_naming_its_line():
    text = 'student,question,answer\na,q3,(y - y_t)*h2\nb,q4,"-0.27\nc,q4,-0.28\nd,q4,-0.29\n'
    with pytest.raises(SymbackpropError) as caught:
        parse_csv(text, source="a.csv")
    assert str(caught.value).startswith("a.csv: line 3: a quote")


def test_a_quoted_answer_over_several_lines_is_still_one_answer():
    rows = parse_csv('student,question,answer\na,q3,"(y - y_t)\n*h2"\nb,q4,-0.28\n', source="a.csv")
    assert [row.answer for row in rows] == ["(y - y_t)\n*h2", "-0.28"]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ('{"s1": {"q4": "-0.2769", "q4": "-0.3"}}', "student 's1', question 'q4': two answers in one object"),
        ('{"s1": {"q4": "-0.2769"}, "s2": {"q4": 1}, "s1": {"q5": "1"}}', "student 's1': two objects for one student"),
        ('{"s1": {"q4": {"a": 1, "a": 2}}}', "student 's1', question 'q4': the key 'a' appears twice"),
    ],
)
def test_a_repeated_json_key_is_an_error_not_a_lost_answer(text, where):
    # A dict keeps one value per key; JSON gives no order a teacher could rely on to say which.
    with pytest.raises(SymbackpropError) as caught:
        parse_json(text, source="a.json")
    assert str(caught.value).startswith(f"a.json: {where}")


def test_a_json_student_with_no_answers_is_an_error_not_dropped():
    # A student is only in the rows through an answer; none here would make s1 vanish.
    with pytest.raises(SymbackpropError, match=r"^a\.json: student 's1': no answers \(an empty object\)"):
        parse_json('{"s0": {"q1": "h1"}, "s1": {}}', source="a.json")


def test_a_csv_header_of_only_student_is_an_error_not_students_dropped():
    with pytest.raises(SymbackpropError, match=r"^a\.csv: row 1: the header names no question"):
        parse_csv("student\ns1\ns2\n", source="a.csv")


@pytest.mark.parametrize("header", ["student,question,answer,comment", "Student,Answer,Question"])
def test_a_long_form_header_with_other_columns_is_an_error_not_wide_form(header):
    with pytest.raises(SymbackpropError) as caught:
        parse_csv(f"{header}\ns1,q4,-0.2769,ok\n", source="a.csv")
    assert str(caught.value) == (
        f"a.csv: row 1: the long form has exactly the columns student,question,answer, not '{header}'"
    )


def test_a_json_number_keeps_the_digits_it_was_written_with():
    # -0.100 has three significant figures; read as a float it would print as -0.1, one
    rows = parse_json('{"s": {"q1": -0.100, "q2": 2.5e-3, "q3": 7}}')
    assert [row.answer for row in rows] == ["-0.100", "2.5e-3", "7"]
