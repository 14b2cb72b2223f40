"""``grade --variants``: each student graded at their own point, values, carried-forward credit and diagnoses."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import math

import pytest
from conftest import EXAMPLES
from typer.testing import CliRunner

from symbackprop.cli import app

EXERCISE = EXAMPLES / "two-branch-variants.toml"
STUDENTS = ["ana", "bob", "cy", "dee", "eve", "fay"]


def run(*args):
    return CliRunner().invoke(app, [str(a) for a in args])


def sigmoid(v: float) -> float:
    return 1 / (1 + math.exp(-v))


def worked(point: dict[str, float]) -> dict[str, float]:
    """The two-branch net by hand (lecture 003): the forward pass, dE/dy, dE/dw4 and dE/dw3 at a point."""
    h1 = sigmoid(point["x_t"] * point["w1"])
    h2 = sigmoid(h1 * point["w2"])
    h3 = sigmoid(h1 * point["w3"])
    y = h2 * point["w4"] + h3 * point["w5"]
    de_dy = -(point["y_t"] - y)
    return {
        "h1": h1,
        "h2": h2,
        "h3": h3,
        "dE/dy": de_dy,
        "dE/dw4": de_dy * h2,
        "dE/dw3": de_dy * point["w5"] * h3 * (1 - h3) * h1,
    }


AT = {"x_t": 1.0, "y_t": 1.0, "w1": 1.0, "w2": 0.5, "w3": -1.0, "w4": 1.5, "w5": -0.5}


@pytest.fixture
def variants(tmp_path):
    roster = tmp_path / "roster.csv"
    roster.write_text("student\n" + "\n".join(STUDENTS) + "\n")
    out = tmp_path / "variants.csv"
    result = run("variants", EXERCISE, "--roster", roster, "--salt", "test", "-o", out)
    assert result.exit_code == 0, result.output
    table = list(csv.DictReader(io.StringIO(out.read_text())))
    points = {row["student"]: AT | {k: float(v) for k, v in row.items() if k in AT} for row in table}
    return out, points


def answers_file(tmp_path, rows):
    path = tmp_path / "answers.csv"
    with path.open("w", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(["student", "question", "answer"])
        writer.writerows(rows)
    return path


def graded(tmp_path, answers, variants_file):
    report = tmp_path / "report.json"
    result = run("grade", EXERCISE, answers, "--variants", variants_file, "--json", report, "--jobs", "1")
    assert result.exit_code == 0, result.output
    return json.loads(report.read_text())


def test_each_student_is_right_at_their_own_point_and_wrong_at_anothers(tmp_path, variants):
    out, points = variants
    assert len({tuple(p.values()) for p in points.values()}) == len(STUDENTS)  # six different points
    rows = [(s, "q5", f"{worked(points[s])['dE/dw4']:.4f}") for s in STUDENTS]
    # cy answers with ana's value: right at ana's point, not at cy's.
    rows[2] = ("cy", "q5", rows[0][2])
    report = graded(tmp_path, answers_file(tmp_path, rows), out)
    verdicts = {s: report["students"][s]["answers"]["q5"]["verdict"] for s in STUDENTS}
    ids = {row["student"]: row["variant"] for row in csv.DictReader(io.StringIO(out.read_text()))}
    assert {s: report["students"][s]["variant"] for s in STUDENTS} == ids
    assert verdicts == {s: "wrong" if s == "cy" else "correct_rounding" for s in STUDENTS}
    expected = f"expected {worked(points['cy'])['dE/dw4']:.6g}"
    assert expected in report["students"]["cy"]["answers"]["q5"]["feedback"]


def test_diagnoses_are_made_at_the_students_point_and_the_summary_adds_them_up(tmp_path, variants):
    out, points = variants
    # dE/dw3 without σ′ at h3, i.e. with h3 for h3(1 - h3): each student's own number for that mistake.
    rows = []
    for s in STUDENTS[:4]:
        w = worked(points[s])
        rows.append((s, "q7", f"{w['dE/dy'] * points[s]['w5'] * w['h3'] * w['h1']:.4g}"))
    report = graded(tmp_path, answers_file(tmp_path, rows), out)
    for s in STUDENTS[:4]:
        entry = report["students"][s]["answers"]["q7"]
        assert entry["verdict"] == "wrong" and entry["diagnoses"] == ["activation_derivative"], entry
    assert report["summary"]["q7"]["most_common_mistake"] == "activation_derivative"
    assert report["summary"]["q7"]["most_common_count"] == 4


def test_carried_forward_credit_is_worked_at_the_students_point(tmp_path, variants):
    out, points = variants
    s = "bob"
    w = worked(points[s])
    wrong_dy = 2 * w["dE/dy"] + 0.3  # a wrong dE/dy, then dE/dw4 = (that)·h2 at bob's point
    rows = [(s, "q4", f"{wrong_dy:.4f}"), (s, "q5", f"{round(wrong_dy, 4) * w['h2']:.4f}")]
    report = graded(tmp_path, answers_file(tmp_path, rows), out)
    assert report["students"][s]["answers"]["q5"]["verdict"] == "carried_forward"


def test_a_student_with_answers_and_no_variant_is_one_error_and_no_report(tmp_path, variants):
    out, _ = variants
    answers = answers_file(tmp_path, [("ana", "q4", "1"), ("zed", "q4", "1")])
    report = tmp_path / "report.json"
    result = run("grade", EXERCISE, answers, "--variants", out, "--json", report)
    assert result.exit_code == 2
    assert result.stderr.count("\n") == 1 and "'zed'" in result.stderr and "no variant" in result.stderr
    assert not report.exists()


def test_a_variants_file_edited_without_its_id_is_refused(tmp_path, variants):
    out, _ = variants
    lines = out.read_text().splitlines()
    cells = lines[1].split(",")
    cells[-1] = "1.9" if cells[-1] != "1.9" else "1.8"  # w4 changed by hand, the id left as it was
    out.write_text("\n".join([lines[0], ",".join(cells), *lines[2:]]) + "\n")
    result = run("grade", EXERCISE, answers_file(tmp_path, [("ana", "q4", "1")]), "--variants", out)
    assert result.exit_code == 2 and "row 2" in result.stderr and "variant id" in result.stderr


@pytest.mark.parametrize(
    ("header", "message"),
    [("student,variant,E", "not an input or param"), ("student,w4", "header student,variant")],
)
def test_a_variants_file_with_a_bad_header_is_one_error(tmp_path, header, message):
    path = tmp_path / "v.csv"
    path.write_text(header + "\n")
    result = run("grade", EXERCISE, answers_file(tmp_path, [("ana", "q4", "1")]), "--variants", path)
    assert result.exit_code == 2 and message in result.stderr and str(path) in result.stderr


def test_the_variants_file_is_never_a_report(tmp_path, variants):
    out, _ = variants
    result = run("grade", EXERCISE, answers_file(tmp_path, [("ana", "q4", "1")]), "--variants", out, "--csv", out)
    assert result.exit_code == 2 and "would be overwritten" in result.stderr


def test_the_variant_id_is_the_documented_hash_of_the_exercise_and_the_values(variants):
    out, _ = variants
    for row in csv.DictReader(io.StringIO(out.read_text())):
        cells = [[name, value] for name, value in row.items() if name not in ("student", "variant")]
        text = json.dumps(["two-branch-variants", cells])  # the id line of examples/two-branch-variants.toml
        assert row["variant"] == hashlib.sha256(text.encode()).hexdigest()[:8]


@pytest.mark.parametrize("command", ["grade", "latex"])
def test_a_variants_file_drawn_for_another_exercise_is_refused(tmp_path, variants, command):
    # Same graph and names: only the ids tell that the file was drawn for two-branch-variants.
    out, _ = variants
    other = EXAMPLES / "two-branch-grading.toml"
    if command == "grade":
        result = run("grade", other, answers_file(tmp_path, [("ana", "q4", "1")]), "--variants", out)
    else:
        result = run("latex", other, "--variants", out, "--student", "ana")
    assert result.exit_code == 2 and result.stderr.count("\n") == 1, result.output
    assert "row 2" in result.stderr and "drawn for another exercise or edited" in result.stderr


def test_grade_class_refuses_a_student_without_a_variant(tmp_path):
    from symbackprop.errors import SymbackpropError
    from symbackprop.grading.answers import read_answers
    from symbackprop.grading.classroom import grade_class
    from symbackprop.grading.grader import Grader
    from symbackprop.grading.questions import load_for_grading
    from symbackprop.grading.variants import StudentPoint

    grader = Grader(*load_for_grading(str(EXERCISE)))
    rows = read_answers(str(answers_file(tmp_path, [("ana", "q4", "1"), ("bob", "q4", "1")])))
    with pytest.raises(SymbackpropError, match="no variant for 'bob', who answered"):
        grade_class(grader, rows, jobs=0, variants={"ana": StudentPoint("id", {})})
    with pytest.raises(SymbackpropError, match="no variant for 'ana', 'bob', who answered"):
        grade_class(grader, rows, jobs=0, variants={})  # an empty variants file grades nobody at [at]
