"""``latex --variants``: a student's own worked solution, one sheet or one per student."""

from __future__ import annotations

import csv
import io
import os

import pytest
from test_variants_grade import AT, EXERCISE, run, worked


@pytest.fixture
def variants(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text('student\nana\nbob\n"../up one"\n')
    out = tmp_path / "variants.csv"
    assert run("variants", EXERCISE, "--roster", roster, "-o", out).exit_code == 0
    table = list(csv.DictReader(io.StringIO(out.read_text())))
    return out, {row["student"]: AT | {k: float(v) for k, v in row.items() if k in AT} for row in table}


def test_a_students_sheet_is_worked_at_their_point(tmp_path, variants):
    out, points = variants
    for student in ("ana", "bob"):
        result = run("latex", EXERCISE, "--variants", out, "--student", student, "--wrt", "w4")
        assert result.exit_code == 0, result.output
        assert f"&= {worked(points[student])['dE/dw4']:.6g}" in result.stdout
        assert f"x_{{t}} = {points[student]['x_t']:g}$" in result.stdout


def test_out_dir_writes_one_sheet_per_student_with_safe_names(tmp_path, variants):
    out, points = variants
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    result = run("latex", EXERCISE, "--variants", out, "--out-dir", sheets, "--wrt", "w4")
    assert result.exit_code == 0 and result.stdout == ""
    names = sorted(path.name for path in sheets.iterdir())
    assert names[2:] == ["ana.questions.tex", "ana.tex", "bob.questions.tex", "bob.tex"] and len(names) == 6
    assert names[0].startswith("_up_one-") and names[0].endswith(".questions.tex")  # nothing outside the folder
    assert names[1] == names[0].replace(".questions.tex", ".tex")
    solution, asked = (sheets / "bob.tex").read_text(), (sheets / "bob.questions.tex").read_text()
    bob = worked(points["bob"])["dE/dw4"]
    assert f"{bob:.6g}" in solution
    # The questions-only sheet beside it: bob's point, the question, not its answer.
    assert f"x_{{t}} = {points['bob']['x_t']:g}" in asked and f"{bob:.6g}" not in asked
    assert not (tmp_path / "up one").exists()


def test_out_dir_with_questions_writes_only_the_questions(tmp_path, variants):
    out, _ = variants
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    result = run("latex", EXERCISE, "--variants", out, "--out-dir", sheets, "--questions")
    assert result.exit_code == 0, result.output
    assert {path.name for path in sheets.iterdir()} >= {"ana.tex", "bob.tex"}
    assert not list(sheets.glob("*.questions.tex"))


@pytest.mark.parametrize(
    "students",
    [
        ["ana", "ana.questions"],  # ana's questions-only sheet and the other's worked solution
        ["Ana", "ana"],  # on macOS and Windows Ana.tex and ana.tex are one file
    ],
)
def test_two_students_whose_sheets_would_meet_are_an_error(tmp_path, students):
    roster = tmp_path / "roster.csv"
    roster.write_text("student\n" + "".join(f"{student}\n" for student in students))
    out = tmp_path / "variants.csv"
    assert run("variants", EXERCISE, "--roster", roster, "-o", out).exit_code == 0
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    result = run("latex", EXERCISE, "--variants", out, "--out-dir", sheets)
    assert result.exit_code == 2 and "would hold two students' sheets" in result.stderr, result.output
    assert not list(sheets.iterdir())  # nothing written before the clash was found


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--student", "ana"], "give --variants FILE too"),
        (["--variants", "{out}"], "give --student ID"),
        (["--variants", "{out}", "--student", "zed"], "no variant for 'zed'"),
        (["--variants", "{out}", "--student", "ana", "--at", "w4=1"], "not both"),
        (["--variants", "{out}", "--out-dir", "{tmp}/none"], "no such directory"),
        (["--variants", "{out}", "--student", "ana", "-o", "{out}"], "would be overwritten"),
        (["--variants", "{out}", "--out-dir", "{tmp}", "-o", "{tmp}/a.tex"], "not both"),
    ],
)
def test_a_wrong_combination_is_one_error(tmp_path, variants, args, message):
    out, _ = variants
    result = run("latex", EXERCISE, *[a.format(out=out, tmp=tmp_path) for a in args])
    assert result.exit_code == 2 and result.stderr.count("\n") == 1 and message in result.stderr, result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
def test_a_sheet_that_is_a_fifo_nobody_reads_is_refused_before_any_is_written(tmp_path, variants):
    out, _ = variants
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    os.mkfifo(sheets / "bob.tex")
    result = run("latex", EXERCISE, "--variants", out, "--out-dir", sheets)
    assert result.exit_code == 2 and "a FIFO that nobody reads" in result.stderr, result.output
    assert sorted(path.name for path in sheets.iterdir()) == ["bob.tex"]


@pytest.mark.parametrize("standalone", [[], ["--standalone"]])
def test_every_sheet_prints_whose_it_is_and_its_variant(tmp_path, variants, standalone):
    out, _ = variants
    variant = {row["student"]: row["variant"] for row in csv.DictReader(io.StringIO(out.read_text()))}
    sheets = tmp_path / "sheets"
    sheets.mkdir()
    assert run("latex", EXERCISE, "--variants", out, "--out-dir", sheets, *standalone).exit_code == 0
    for name in ("bob.tex", "bob.questions.tex"):
        text = (sheets / name).read_text()
        body = text.split("\\begin{document}", 1)[-1]  # printed, not only in a comment or the preamble
        assert f"Student: \\texttt{{bob}}\\hfill Variant: \\texttt{{{variant['bob']}}}" in body
    one = run("latex", EXERCISE, "--variants", out, "--student", "ana", *standalone)
    assert f"Student: \\texttt{{ana}}\\hfill Variant: \\texttt{{{variant['ana']}}}" in one.stdout
