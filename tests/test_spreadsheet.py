"""grading.spreadsheet: no CSV cell the tool writes runs as a formula in a spreadsheet (OWASP's rule)."""

from __future__ import annotations

import csv
import io

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.grading.spreadsheet import csv_text, safe_cell

# Each starts with a character OWASP lists (=, +, -, @, tab, CR): a spreadsheet would run it.
FORMULAS = [
    "=1+1",
    '=HYPERLINK("http://evil.example","click")',
    "+cmd|' /C calc'!A0",
    "-2+3",
    "-h1*w5",
    "@SUM(A1:A9)",
    "\t=1+1",
    "\r=1+1",
    "-",
    "+",
    "-0.27 ",  # a number with a trailing space is text to a spreadsheet
    "-1,5",
]

# Plain numbers: a spreadsheet reads each as a number, which runs nothing.
NUMBERS = ["-0.27", "+3", "-1e-3", "-.5", "0.5", "12", "-2.5E+4", "-7."]


@pytest.mark.parametrize("text", FORMULAS)
def test_a_cell_a_spreadsheet_would_run_gets_a_quote_in_front(text):
    assert safe_cell(text) == "'" + text


@pytest.mark.parametrize("text", NUMBERS)
def test_a_plain_number_stays_a_number(text):
    assert safe_cell(text) == text


@pytest.mark.parametrize("text", ["ana", "dE/dw4", "", "'=already quoted", " =1", "1+1", "w4@1"])
def test_other_text_is_left_as_it_is(text):
    assert safe_cell(text) == text


def test_numbers_that_are_not_text_are_written_as_python_writes_them():
    assert [safe_cell(v) for v in (-0.27, 3, 1.5)] == ["-0.27", "3", "1.5"]


def test_csv_text_reads_back_with_every_dangerous_cell_quoted():
    rows = [["student", "answer"], *[[f"s{i}", text] for i, text in enumerate(FORMULAS + NUMBERS)]]
    read = list(csv.reader(io.StringIO(csv_text(rows), newline="")))
    assert read[0] == ["student", "answer"]
    assert [row[1] for row in read[1:]] == ["'" + t for t in FORMULAS] + NUMBERS
    assert all(cell in NUMBERS for row in read for cell in row if cell.startswith(("=", "+", "-", "@", "\t", "\r")))


def test_grade_csv_report_holds_no_formula(tmp_path):
    """A hostile student id and answer reach the --csv report quoted; a numeric answer stays a number."""
    answers = tmp_path / "answers.csv"
    answers.write_text(
        'student,question,answer\n"=HYPERLINK(""http://x"",""y"")",q4,-0.2769\n'
        "ben,q3,\"=1+cmd|' /C calc'!A0\"\nben,q4,-0.27\n"
    )
    out = tmp_path / "r.csv"
    result = CliRunner().invoke(
        app,
        ["grade", str(EXAMPLES / "two-branch-grading.toml"), str(answers), "--csv", str(out), "--jobs", "0"],
    )
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(out.open(newline="")))
    assert rows[0]["student"] == '\'=HYPERLINK("http://x","y")'
    assert rows[0]["answer"] == "-0.2769"
    hostile = next(r for r in rows if r["student"] == "ben" and r["question"] == "q3")
    assert hostile["answer"] == "'=1+cmd|' /C calc'!A0"
    assert next(r for r in rows if r["student"] == "ben" and r["question"] == "q4")["answer"] == "-0.27"
    for row in rows:
        for cell in row.values():
            assert not cell.startswith(("=", "+", "@", "\t", "\r")), row
            assert not cell.startswith("-") or cell.lstrip("-").replace(".", "").isdigit(), row
