"""Answers files: long and wide CSV, JSON, and everything odd a class can put in them."""

from __future__ import annotations

import pytest

from symbackprop.answers import Row, parse_csv, parse_json, read_answers
from symbackprop.errors import SymbackpropError


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
