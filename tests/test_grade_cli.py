"""``symbackprop grade`` on the example class: exit status, reports, bad input."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.grading.verdict import VERDICTS

runner = CliRunner()


def grade(*args: str):
    return runner.invoke(app, ["grade", *args], env={"COLUMNS": "200"})


@pytest.fixture(scope="module")
def reports(tmp_path_factory):
    out = tmp_path_factory.mktemp("reports")
    result = grade(
        str(EXAMPLES / "two-branch-grading.toml"),
        str(EXAMPLES / "two-branch-class.csv"),
        "--json", str(out / "r.json"), "--csv", str(out / "r.csv"), "--timeout", "2", "--jobs", "2",
    )  # fmt: skip
    return result, json.loads((out / "r.json").read_text()), list(csv.DictReader((out / "r.csv").open()))


def test_grading_wrong_answers_exits_0_and_prints_tables(reports):
    result, _, _ = reports
    assert result.exit_code == 0, result.output
    assert "ana: 9 / 9" in result.output  # ana answers all seven questions right: 2+2+1+1+1+1+1
    assert "class summary" in result.output


def test_the_example_class_exercises_every_verdict_and_diagnosis(reports):
    _, data, _ = reports
    answers = [a for s in data["students"].values() for a in s["answers"].values()]
    # Every verdict but timeout, which no report that must repeat run after run can hold: the
    # stuck answers of test_workers and test_hostile show it. fay's square root of a 999-digit
    # number, which once ran SymPy near the timeout, has no value as a float: wrong at once.
    assert {a["verdict"] for a in answers} == set(VERDICTS) - {"timeout"}
    assert data["students"]["fay"]["answers"]["q1"]["feedback"] == "it has no value at the exercise's point"
    kinds = {k for a in answers for k in a["diagnoses"]}
    # e⁰ read as e needs an exponential in the graph: the four-paths class shows it (below).
    assert kinds == {
        "sign",
        "factor_2",
        "missing_path",
        "missing_factor",
        "extra_factor",
        "activation_derivative",
        "rounded_early",
    }


def test_answers_and_names_with_brackets_print_as_written(tmp_path):
    answers = tmp_path / "brackets.csv"
    answers.write_text('student,question,answer\n[b]ann,q1,"[/]"\nbob,q1,"[bold]x[/bold]"\n')
    result = grade(str(EXAMPLES / "two-branch-grading.toml"), str(answers), "--jobs", "0")
    assert result.exit_code == 0, result.output
    assert "[b]ann: 0 / 9" in result.output
    assert "│ [/] " in result.output and "[bold]x[/bold]" in result.output


def test_the_four_paths_class_shows_e0_read_as_e(tmp_path):
    result = grade(str(EXAMPLES / "four-paths-grading.toml"), str(EXAMPLES / "four-paths-class.csv"),
                   "--json", str(tmp_path / "f.json"), "--jobs", "0")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads((tmp_path / "f.json").read_text())
    assert data["students"]["ben"]["answers"]["value"]["diagnoses"] == ["e0_as_e"]


def test_json_keeps_the_spec_fields_and_csv_has_every_row(reports):
    _, data, rows = reports
    assert data["exercise"] == "two-branch-grading"
    ana = data["students"]["ana"]
    assert (ana["total"], ana["max"]) == (9.0, 9.0)
    assert set(ana["answers"]["q1"]) >= {"answer", "verdict", "diagnoses", "points", "feedback"}
    file_rows = list(csv.reader((EXAMPLES / "two-branch-class.csv").open()))[1:]
    graded = [r for r in rows if r["row"]]
    # One CSV report row per answers-file row (rows are numbered from the header, row 1).
    assert sorted(int(r["row"]) for r in graded) == list(range(2, len(file_rows) + 2))


def test_duplicate_answers_are_reported_once_each(reports):
    _, data, _ = reports
    dev = data["students"]["dev"]["answers"]
    # dev answers q7 twice (rows 25 and 26: ana 2–8, ben 9–15, cho 16–21, dev 22–26): the earlier is kept, not counted.
    assert dev["q7 (row 25)"]["counted"] is False and dev["q7"]["counted"] is True


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["no-such-exercise", "x.csv"], "unknown exercise 'no-such-exercise'"),
        ([str(EXAMPLES / "two-branch-grading.toml"), "/nonexistent/a.csv"], "/nonexistent/a.csv: no such file"),
        ([str(EXAMPLES / "two-branch-grading.toml"), str(EXAMPLES / "two-branch-class.csv"), "--jobs", "-1"], "--jobs"),
        (
            [str(EXAMPLES / "two-branch-grading.toml"), str(EXAMPLES / "two-branch-class.csv"), "--timeout", "0"],
            "--timeout",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = grade(*args)
    assert result.exit_code == 2
    lines = result.output.strip().splitlines()
    assert len(lines) == 1 and message in lines[0] and "Traceback" not in result.output


def test_malformed_json_answers_exit_2(tmp_path):
    path = tmp_path / "a.json"
    path.write_text('{"s1": {"q1": ')
    result = grade(str(EXAMPLES / "two-branch-grading.toml"), str(path))
    assert result.exit_code == 2 and "not valid JSON" in result.output


def test_piped_output_has_no_progress_bar_and_loading_the_grade_command_does_not_import_sympy():
    done = subprocess.run(
        [sys.executable, "-m", "symbackprop", "grade", str(EXAMPLES / "four-paths-grading.toml"),
         str(EXAMPLES / "four-paths-class.csv"), "--jobs", "1"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert done.returncode == 0 and done.stderr == ""
    code = "import sys; from symbackprop.cli import app; import symbackprop.cli.grade; print('sympy' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", code], capture_output=True, text=True).stdout.strip() == "False"


FOUR_PATHS = (str(EXAMPLES / "four-paths-grading.toml"), str(EXAMPLES / "four-paths-class.csv"))


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--jobs", "0", "--timeout", "1"], "--timeout: --jobs 0 grades in this process"),
        (["--timeout", "inf"], "--timeout: expected seconds from 0 to 86400"),
        (["--json", ""], "--json: expected a file name"),
        (["--json", "r.out", "--csv", "r.out"], "--csv: r.out is also the --json file"),
    ],
)
def test_report_and_bound_options_that_would_be_lost_are_refused(options, message, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = grade(*FOUR_PATHS, *options)
    lines = result.output.strip().splitlines()
    assert result.exit_code == 2 and len(lines) == 1 and message in lines[0]
    assert not list(tmp_path.iterdir())  # refused before any grading or writing


def test_a_report_keeps_the_files_mode_and_writes_into_a_device_instead_of_replacing_it(tmp_path):
    report = tmp_path / "r.json"
    report.write_text("old")
    report.chmod(0o640)
    assert grade(*FOUR_PATHS, "--json", str(report), "--jobs", "0").exit_code == 0
    assert report.stat().st_mode & 0o777 == 0o640 and json.loads(report.read_text())["exercise"] == "four-paths-grading"
    # /dev/null stays the device it is (os.replace would have swapped it for a file)
    assert grade(*FOUR_PATHS, "--json", "/dev/null", "--jobs", "0").exit_code == 0
    assert Path("/dev/null").is_char_device()


def test_standard_output_that_cannot_be_written_is_one_line_and_exit_2():
    with open("/dev/full", "w") as full:
        done = subprocess.run(
            [sys.executable, "-m", "symbackprop", "list"], stdout=full, stderr=subprocess.PIPE, text=True
        )
    assert done.returncode == 2 and done.stderr.strip() == "symbackprop: error: No space left on device"


@pytest.mark.parametrize("which", ["answers", "exercise"])
def test_a_report_path_that_is_an_input_is_refused_before_grading(tmp_path, which):
    """Issue 17: --csv class.csv once overwrote the answers file it was grading."""
    answers = tmp_path / "class.csv"
    exercise = tmp_path / "ex.toml"
    answers.write_bytes((EXAMPLES / "two-branch-class.csv").read_bytes())
    exercise.write_bytes((EXAMPLES / "two-branch-grading.toml").read_bytes())
    before = answers.read_bytes(), exercise.read_bytes()
    target = answers if which == "answers" else exercise
    result = grade(str(exercise), str(answers), "--csv", str(tmp_path / "." / target.name), "--jobs", "0")
    assert result.exit_code == 2
    assert "is an input of this command" in result.output
    assert (answers.read_bytes(), exercise.read_bytes()) == before


def test_unusable_report_paths_are_refused_before_grading(tmp_path):
    import os

    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    readonly = tmp_path / "ro"
    readonly.mkdir()
    readonly.chmod(0o500)
    cases = {
        str(tmp_path): "is a directory",
        str(fifo): "a FIFO that nobody reads",
        str(tmp_path / "nowhere" / "r.json"): "no such directory",
    }
    if os.geteuid() != 0:  # root writes anywhere
        cases[str(readonly / "r.json")] = "no permission to write there"
    for path, message in cases.items():
        result = grade(
            str(EXAMPLES / "two-branch-grading.toml"), str(EXAMPLES / "two-branch-class.csv"), "--json", path
        )
        assert result.exit_code == 2, path
        assert message in result.output, (path, result.output)
        assert "grading" not in result.output and "class summary" not in result.output


def test_an_exercise_with_no_value_at_its_point_is_refused_not_graded(tmp_path):
    # E = x·log(w) at w = −1: log of a negative. Grading at some other point instead would mark
    # every answer against numbers the students were never given.
    exercise = tmp_path / "logw.toml"
    exercise.write_text('[graph]\nE = "log(w)*x"\n[at]\nw = -1\nx = 2\n')
    answers = tmp_path / "a.csv"
    answers.write_text("student,question,answer\ns1,dE/dw,-2\n")
    report = tmp_path / "report.json"
    result = grade(str(exercise), str(answers), "--json", str(report))
    assert result.exit_code == 2
    assert "graph.E" in result.output and "no value at this point" in result.output
    assert not report.exists()


def test_csv_writes_points_as_the_gradebook_exports_do(tmp_path):
    # 1234567 points: `:g` would write 1.23457e+06 and lose the last digits; the report writes the number.
    source = (EXAMPLES / "two-branch-grading.toml").read_text()
    exercise = tmp_path / "big.toml"
    exercise.write_text(source.replace('form = "symbolic"\npoints = 2\n', 'form = "symbolic"\npoints = 1234567\n', 1))
    out = tmp_path / "report.csv"
    result = grade(str(exercise), str(EXAMPLES / "two-branch-class.csv"), "--csv", str(out), "--jobs", "0")
    assert result.exit_code == 0, result.output
    [ana] = [row for row in csv.DictReader(out.open()) if row["student"] == "ana" and row["question"] == "q1"]
    assert (ana["points"], ana["max"]) == ("1234567", "1234567")
