"""Issue 17: a large class is graded without printing a table per student, and its JSON report
is written a student at a time, the same text json.dumps would write for the whole."""

from __future__ import annotations

import json

from conftest import EXAMPLES
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.cli.grade import TABLES_UP_TO
from symbackprop.grading.answers import read_answers
from symbackprop.grading.classroom import ClassReport, grade_class
from symbackprop.grading.grader import Grader
from symbackprop.grading.questions import load_for_grading
from symbackprop.grading.reports import json_text, report_dict

runner = CliRunner()
EXERCISE = str(EXAMPLES / "two-branch-grading.toml")


def test_the_json_report_is_the_text_json_dumps_writes():
    grader = Grader(*load_for_grading(EXAMPLES / "two-branch-grading.toml"))
    report = grade_class(grader, read_answers(EXAMPLES / "two-branch-class.csv"), jobs=0)
    for each in (report, ClassReport("empty", {}, [])):
        assert json_text(each) == json.dumps(report_dict(each), indent=2, ensure_ascii=False) + "\n"


def _class(tmp_path, students: int):
    path = tmp_path / "class.csv"
    path.write_text("student,question,answer\n" + "".join(f"s{i},q3,-(y_t - y)*h2\n" for i in range(students)))
    return str(path)


def test_summary_prints_only_the_class_summary(tmp_path):
    result = runner.invoke(app, ["grade", EXERCISE, _class(tmp_path, 3), "--summary", "--jobs", "0"])
    assert result.exit_code == 0, result.output
    assert "class summary" in result.output and "s0:" not in result.output


def test_past_the_class_size_only_the_summary_is_printed_and_the_reports_keep_everyone(tmp_path):
    out = tmp_path / "r.json"
    result = runner.invoke(
        app, ["grade", EXERCISE, _class(tmp_path, TABLES_UP_TO + 1), "--json", str(out), "--jobs", "0"]
    )
    assert result.exit_code == 0, result.output
    assert "s0:" not in result.output and "class summary" in result.output
    assert f"{TABLES_UP_TO + 1} students: only the class summary is printed" in result.output
    data = json.loads(out.read_text())
    assert len(data["students"]) == TABLES_UP_TO + 1 and data["summary"]["q3"]["right"] == TABLES_UP_TO + 1
    result = runner.invoke(app, ["grade", EXERCISE, _class(tmp_path, TABLES_UP_TO), "--jobs", "0"])
    assert "s0: 1 / 9" in result.output
