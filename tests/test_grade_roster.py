"""The class roster: ids kept as written, a clear error for each flaw."""

from __future__ import annotations

import pytest

from symbackprop.errors import SymbackpropError
from symbackprop.grading.roster import Student, parse_roster, read_roster


def test_every_known_column_is_kept_and_headers_match_loosely():
    text = " Student ,Name,ID,SIS_User_ID,sis_login_id,Section,Email,notes\ns1,Ada L,17,A17,ada,L01,ada@x.org,ignored\n"
    assert parse_roster(text) == [Student("s1", "Ada L", "17", "A17", "ada", "L01", "ada@x.org")]


def test_blank_lines_are_skipped_and_order_is_kept():
    assert [s.student for s in parse_roster("student\ns2\n\ns1\n")] == ["s2", "s1"]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "empty"),
        ("name\nAda\n", "no 'student' column"),
        ("student,student\ns1,s1\n", "appears twice"),
        ("student,name\ns1\n", "row 2: 1 cells under a header of 2"),
        ("student,name\n,Ada\n", "row 2: the student cell is empty"),
        ("student\ns1\ns1\n", "row 3: student 's1' is already on row 2"),
    ],
)
def test_a_flawed_roster_is_one_error_naming_the_row(text, message):
    with pytest.raises(SymbackpropError, match=message):
        parse_roster(text, source="roster.csv")


def test_read_roster_names_the_file(tmp_path):
    path = tmp_path / "roster.csv"
    path.write_text("\ufeffstudent,email\ns1,a@b.c\n", encoding="utf-8")
    assert read_roster(path) == [Student("s1", email="a@b.c")]
    with pytest.raises(SymbackpropError, match="is a directory, not a roster"):
        read_roster(tmp_path)
