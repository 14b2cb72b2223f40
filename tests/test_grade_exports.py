"""``grade --roster/--canvas/--moodle/--gradescope``: grades as Canvas, Moodle and Gradescope import them.

The exercise is lecture 001's f = (x + y)z at x = −2, y = 5, z = −4, whose default questions are
df/dx, df/dy and df/dz, symbolic, 1 point each: df/dx = df/dy = z and df/dz = q = x + y.
"""

from __future__ import annotations

import csv
import itertools
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from conftest import EXAMPLES, EXERCISES, ROOT
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.grading.reports import points_text

EXERCISE = "fx-plus-y-times-z"
TITLE = tomllib.loads((EXERCISES / f"{EXERCISE}.toml").read_text())["title"]
# ana: all three right (3 points); ben: df/dx right, df/dy with its sign flipped, df/dz unanswered (1 point).
ANSWERS = "student,question,answer\nana,df/dx,z\nana,df/dy,z\nana,df/dz,x + y\nben,df/dx,z\nben,df/dy,-z\n"
ROSTER = (
    "student,name,id,sis_user_id,sis_login_id,section,email\n"
    "ana,Ana Lima,101,S101,ana,A,ana@uni.example\n"
    "ben,@Ben,102,S102,ben,B,ben@uni.example\n"
    "cy,Cy Young,103,,,B,cy@uni.example\n"
)


def grade(*args: str):
    return CliRunner().invoke(app, ["grade", *args, "--jobs", "0", "--summary"], env={"COLUMNS": "200"})


@pytest.fixture
def files(tmp_path):
    (tmp_path / "answers.csv").write_text(ANSWERS)
    (tmp_path / "roster.csv").write_text(ROSTER)
    return tmp_path


def read_csv(path: Path) -> list[list[str]]:
    return list(csv.reader(path.open(newline="", encoding="utf-8")))


def test_canvas_has_the_header_points_possible_and_a_row_per_roster_student(files):
    out = files / "canvas.csv"
    result = grade(EXERCISE, str(files / "answers.csv"), "--roster", str(files / "roster.csv"), "--canvas", str(out))
    assert result.exit_code == 0, result.output
    assert read_csv(out) == [
        ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", TITLE],
        ["Points Possible", "", "", "", "", "3"],
        ["Ana Lima", "101", "S101", "ana", "A", "3"],
        ["'@Ben", "102", "S102", "ben", "B", "1"],  # a name a spreadsheet would run is quoted
        ["Cy Young", "103", "", "", "B", ""],  # no answers: no grade, the gradebook's cell stays as it is
    ]
    assert "no answers from 'cy' on" in result.output


def test_moodle_identifies_students_by_email_when_every_student_has_one(files):
    out = files / "moodle.csv"
    result = grade(EXERCISE, str(files / "answers.csv"), "--roster", str(files / "roster.csv"), "--moodle", str(out))
    assert result.exit_code == 0, result.output
    rows = read_csv(out)
    assert rows[0] == ["email", TITLE, "feedback"]
    assert [row[:2] for row in rows[1:]] == [["ana@uni.example", "3"], ["ben@uni.example", "1"]]  # cy: no row
    ana, ben = (row[2].split(" | ") for row in rows[1:])
    assert ana == ["df/dx (1/1): correct", "df/dy (1/1): correct", "df/dz (1/1): correct"]
    assert ben[0] == "df/dx (1/1): correct" and ben[1].startswith("df/dy (0/1): ") and "sign" in ben[1]
    assert ben[2] == "df/dz (0/1): no answer"


def test_moodle_uses_the_student_id_without_a_roster_or_when_an_email_is_missing(files):
    out = files / "moodle.csv"
    assert grade(EXERCISE, str(files / "answers.csv"), "--moodle", str(out)).exit_code == 0
    assert [row[:2] for row in read_csv(out)] == [["student", TITLE], ["ana", "3"], ["ben", "1"]]
    # cy, who did not answer, may lack an email; ben, who did, may not.
    (files / "roster.csv").write_text(ROSTER.replace("cy@uni.example", ""))
    result = grade(EXERCISE, str(files / "answers.csv"), "--roster", str(files / "roster.csv"), "--moodle", str(out))
    assert result.exit_code == 0, result.output
    assert [row[0] for row in read_csv(out)] == ["email", "ana@uni.example", "ben@uni.example"]
    (files / "roster.csv").write_text(ROSTER.replace("ben@uni.example", ""))
    result = grade(EXERCISE, str(files / "answers.csv"), "--roster", str(files / "roster.csv"), "--moodle", str(out))
    assert result.exit_code == 0, result.output
    assert [row[0] for row in read_csv(out)] == ["student", "ana", "ben"]


def test_gradescope_results_for_one_students_answers(tmp_path):
    # The two-branch example: q3 asks dE/dw4 for 1 point with partial = { sign = 0.5 }; the
    # formula with its sign flipped earns half, the other six questions (8 points) are missing.
    answers = tmp_path / "one.csv"
    answers.write_text("student,question,answer\nana,q3,(y_t - y)*h2\n")
    out = tmp_path / "results.json"
    result = grade(str(EXAMPLES / "two-branch-grading.toml"), str(answers), "--gradescope", str(out))
    assert result.exit_code == 0, result.output
    data = json.loads(out.read_text())
    spec = tomllib.loads((EXAMPLES / "two-branch-grading.toml").read_text())["questions"]
    assert data["score"] == 0.5
    assert [t["name"] for t in data["tests"]] == [f"{qid}: {q['ask']}" for qid, q in spec.items()]
    assert [t["max_score"] for t in data["tests"]] == [float(q.get("points", 1)) for q in spec.values()]
    q3 = data["tests"][2]
    assert (q3["score"], q3["status"]) == (0.5, "failed") and "sign" in q3["output"]
    assert all(t["status"] == "failed" and t["output"] == "no answer" for i, t in enumerate(data["tests"]) if i != 2)
    assert set(data["tests"][0]) == {"name", "score", "max_score", "output", "status"}


def test_gradescope_status_is_passed_for_a_right_answer(tmp_path):
    answers = tmp_path / "one.json"
    answers.write_text(json.dumps({"ana": {"df/dx": "z", "df/dz": "q"}}))
    out = tmp_path / "results.json"
    assert grade(EXERCISE, str(answers), "--gradescope", str(out)).exit_code == 0
    data = json.loads(out.read_text())
    assert data["score"] == 2.0
    assert [(t["name"], t["status"], t["score"]) for t in data["tests"]] == [
        ("df/dx", "passed", 1.0),
        ("df/dy", "failed", 0.0),
        ("df/dz", "passed", 1.0),
    ]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--gradescope", "{out}"], "a Gradescope result is one student's: this file has 2 students"),
        (["--canvas", "{out}"], "--canvas: Canvas matches rows on the roster's ids: give --roster FILE"),
        (["--roster", "{dir}/short.csv"], "not on the roster: 'ben' (add them, or grade without --roster)"),
        (["--roster", "{dir}/roster.csv", "--canvas", "{out}"], "student 'cy' has no id, sis_user_id or sis_login_id"),
        (["--moodle", "{dir}/roster.csv", "--roster", "{dir}/roster.csv"], "--moodle: {dir}/roster.csv is an input"),
        (["--canvas", "{dir}/answers.csv", "--roster", "{dir}/roster.csv"], "--canvas: {dir}/answers.csv is an input"),
        (["--gradescope", "{out}", "--moodle", "{out}"], "--gradescope: {out} is also the --moodle file"),
    ],
)
def test_bad_exports_are_one_line_errors_before_grading(files, extra, message):
    (files / "short.csv").write_text("student,name\nana,Ana\n")
    (files / "roster.csv").write_text(ROSTER.replace("103,,,B", ",,,B"))  # cy: no Canvas id at all
    before = {p.name: p.read_bytes() for p in files.iterdir()}
    out = files / "out.file"
    args = [a.format(dir=files, out=out) for a in extra]
    result = grade(EXERCISE, str(files / "answers.csv"), "--json", str(files / "r.json"), *args)
    assert result.exit_code == 2
    assert message.format(dir=files, out=out) in " ".join(result.output.split())
    assert "Traceback" not in result.output
    assert {p.name: p.read_bytes() for p in files.iterdir()} == before  # no report, no input changed


def test_points_are_written_as_exact_decimals():
    # 0.1 + 0.2 is 0.30000000000000004 in floating point; a gradebook gets 0.3.
    assert 0.1 + 0.2 != 0.3 and points_text(0.1 + 0.2) == "0.3"
    assert [points_text(v) for v in (9.0, 5.5, 2 / 3, 0.12345)] == ["9", "5.5", "0.6667", "0.1235"]


# -- examples/gradescope: the autograder as Gradescope runs it, in a stand-in for /autograder ------------

GRADESCOPE = EXAMPLES / "gradescope"


def run_autograder(root: Path) -> dict:
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    subprocess.run(["bash", str(GRADESCOPE / "run_autograder")], env=env, check=True, timeout=120)
    return json.loads((root / "results" / "results.json").read_text())


@pytest.fixture
def autograder(tmp_path):
    if shutil.which("symbackprop", path=str(Path(sys.executable).parent)) is None:
        pytest.skip("the symbackprop command is not installed beside this Python")
    (tmp_path / "source").mkdir()
    (tmp_path / "submission").mkdir()
    shutil.copy(EXAMPLES / "two-branch-grading.toml", tmp_path / "source" / "exercise.toml")
    return tmp_path


def test_run_autograder_grades_the_submission_into_results_json(autograder):
    # q4 asks dE/dy for 1 point: -(1 − y) at the point, −0.2769 to four figures (see test_grade.py).
    (autograder / "submission" / "answers.csv").write_text("student,q3,q4\nme,-(y_t - y)*h2,-0.2769\n")
    results = run_autograder(autograder)
    assert results["score"] == 2.0
    assert [t["status"] for t in results["tests"][2:4]] == ["passed", "passed"]


@pytest.mark.parametrize(
    ("files", "output"),
    [
        ({}, "expected one answers file (.csv or .json) in the submission, found 0"),
        ({"a.csv": "student,q4\nme,1\n", "b.json": "{}"}, "found 2"),
        ({"a.csv": "student,q4\nme,1\nyou,2\n"}, "a Gradescope result is one student's: this file has 2 students"),
    ],
)
def test_run_autograder_gives_a_submission_it_cannot_grade_0_and_the_reason(autograder, files, output):
    for name, text in files.items():
        (autograder / "submission" / name).write_text(text)
    results = run_autograder(autograder)
    assert results["score"] == 0 and results["tests"] == []
    assert output in results["output"]


def test_the_gradescope_scripts_are_executable_bash():
    for name in ("setup.sh", "run_autograder"):
        script = GRADESCOPE / name
        assert os.access(script, os.X_OK), name
        subprocess.run(["bash", "-n", str(script)], check=True)


# -- README's "Running a course › Gradebooks", re-run as printed -------------------------------------------


def _readme_section(start: str, end: str) -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index(start) : text.index(end)]


def _blocks(section: str, language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", section, re.DOTALL)


def test_the_readme_gradebook_commands_write_what_the_readme_shows(tmp_path, monkeypatch):
    section = _readme_section("### Gradebooks", "### One answer at a time")
    monkeypatch.chdir(ROOT)
    commands = [shlex.split(block.replace("\\\n", " ")) for block in _blocks(section, "bash")]
    assert len(commands) == 2
    for command in commands:
        assert command[:2] == ["symbackprop", "grade"]
        # The files it writes go to a temporary folder, not into the checkout.
        args = [
            str(tmp_path / arg) if option in ("--canvas", "--moodle", "--gradescope") else arg
            for option, arg in itertools.pairwise(command)
        ]
        result = CliRunner().invoke(app, args)
        assert result.exit_code == 0, result.output
    canvas, moodle = _blocks(section, "text")
    assert (tmp_path / "canvas.csv").read_text() == canvas
    written = (tmp_path / "moodle.csv").read_text().splitlines()
    shown = moodle.splitlines()
    assert written[0] == shown[0] and written[1].startswith(shown[1].removesuffix(" | …"))
    assert (tmp_path / "results.json").exists()


def test_the_readme_grade_answer_lines_say_what_they_return(monkeypatch):
    monkeypatch.chdir(ROOT)
    [block] = _blocks(_readme_section("### One answer at a time", "## Python API"), "python")
    names: dict = {}
    checked = 0
    for line in block.splitlines():
        code, _, shown = line.partition("  # ")
        if not shown:
            exec(code, names)  # the README's own import and assignment
            continue
        assert repr(eval(code, names)) == shown, code
        checked += 1
    assert checked == 4
