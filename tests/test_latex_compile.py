"""Every exercise's worked solution compiles with pdflatex, standalone and with its figure.

CI installs Debian's texlive-latex-base and texlive-pictures; there a missing pdflatex is a
failure, not a skip, so that this test cannot silently stop running.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import EXAMPLES, EXERCISE_FILES, IN_CI, has_tikz
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.exercise.model import load
from symbackprop.render.forms import ALL, SCALAR_FORMS

EXERCISES = EXERCISE_FILES

# Every function of the library, side by side (not nested, so that the closed form stays small),
# so that each printer's output is known to compile.
ALL_FUNCTIONS = """
[graph]
s = "w*x"
a = "sigmoid(s) + sigmoid(s, beta) + tanh(s) + tanh(s, beta)"
b = "relu(s) + leaky_relu(s) + leaky_relu(s, 0.2) + step(s) + step(s, beta)"
c = "softplus(s) + swish(s, beta) + elu(s) + elu(s, 2) + softmax(1, s, w) + softmax(2, s, w)"
d = "exp(s) + log(s) + sqrt(s) + sin(s) + cos(s) + max(s, w) + min(s, w) + abs(s) + pi + e"
E = "(t - a - b - c - d)**2/2"

[roles]
loss = "E"
params = ["w", "beta"]

[conventions]
relu_grad_at_zero = 0.5

[at]
w = 0.5
beta = 1.5
x = 1
t = 2
"""


def pdflatex() -> str:
    """pdflatex's path; where it or TikZ is missing, a failure in CI and a skip elsewhere."""
    if has_tikz():
        return str(shutil.which("pdflatex"))
    if IN_CI:
        pytest.fail("pdflatex with TikZ is missing: CI must install texlive-latex-base and texlive-pictures")
    pytest.skip("pdflatex with TikZ is not installed (Debian: texlive-latex-base texlive-pictures)")


def compile_ok(tex: Path) -> None:
    result = subprocess.run(
        [pdflatex(), "-interaction=nonstopmode", "-halt-on-error", tex.name],
        cwd=tex.parent,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout[-3000:]
    assert tex.with_suffix(".pdf").stat().st_size > 0
    # TeX reports a line wider than the page as an overfull box: "detected at line N" for a
    # formula, "in paragraph at lines N--M" for text such as a long title.
    log = tex.with_suffix(".log").read_text(errors="replace")
    assert not re.findall(r"Overfull \\hbox \(.*\) (?:detected|in paragraph) at lines? \d+", log), "past the margin"
    # A box taller than the page (a figure of many inputs) is an overfull \vbox as the page is shipped.
    assert "Overfull \\vbox" not in log, "past the bottom of the page"


def write_document(source: Path, out: Path, *options: str) -> Path:
    result = CliRunner().invoke(app, ["latex", str(source), "--standalone", *options, "-o", str(out)])
    assert result.exit_code == 0, result.output
    return out


def test_the_catalog_is_not_empty():
    assert len(EXERCISES) >= 4


@pytest.mark.parametrize("exercise", EXERCISES, ids=lambda path: path.stem)
def test_every_exercise_compiles_standalone_with_its_figure(exercise, tmp_path):
    compile_ok(write_document(exercise, tmp_path / "solution.tex", "--figure", "--edge-labels"))


def test_every_function_compiles(tmp_path):
    source = tmp_path / "all-functions.toml"
    source.write_text(ALL_FUNCTIONS)
    # Every closed form set, whatever its size: the functions' names are in them.
    out = write_document(source, tmp_path / "solution.tex", "--figure", "--edge-labels", "--closed-limit", "0")
    text = out.read_text()
    for name in (r"\sigma", r"\tanh", "ReLU", "LeakyReLU", "step", "softplus", "swish", "ELU", "softmax"):
        assert name in text
    compile_ok(out)


def test_a_fragment_compiles_inside_a_users_document(tmp_path):
    fragment = tmp_path / "fragment.tex"
    result = CliRunner().invoke(app, ["latex", "two-branch-sigmoid", "--figure", "-o", str(fragment)])
    assert result.exit_code == 0, result.output
    main = tmp_path / "handout.tex"
    main.write_text(
        "\\documentclass{article}\n\\usepackage{amsmath}\n\\usepackage{tikz}\n"
        "\\begin{document}\n\\input{fragment}\n\\end{document}\n"
    )
    compile_ok(main)


@pytest.mark.parametrize("form", [*SCALAR_FORMS, ALL])  # layer: a [layers] net's, compiled with the layer tests
@pytest.mark.parametrize("exercise", ["bp-2-2-1-sigmoid", "bp-2-2-2-sigmoid-no-bias", "four-paths"])
def test_every_form_compiles(exercise, form, tmp_path):
    # bp-2-2-2's closed forms, asked for alone, run to 175 nodes each: they too must stay on the page.
    compile_ok(write_document(Path(exercise), tmp_path / "solution.tex", "--form", form))


@pytest.mark.parametrize("exercise", [*EXERCISES, EXAMPLES / "two-branch-grading.toml"], ids=lambda path: path.stem)
def test_every_questions_sheet_compiles(exercise, tmp_path):
    compile_ok(write_document(exercise, tmp_path / "questions.tex", "--questions", "--figure"))


def with_values(path: Path) -> bool:
    """Whether the exercise has one value per node to draw: a point, and no data set of samples."""
    ex = load(str(path))
    return ex.at() is not None and ex.samples <= 1


@pytest.mark.parametrize("exercise", [path for path in EXERCISES if with_values(path)], ids=lambda path: path.stem)
def test_every_figure_with_values_compiles(exercise, tmp_path):
    compile_ok(write_document(exercise, tmp_path / "solution.tex", "--figure", "--values", "--form", "paths"))


def test_a_tall_figure_is_scaled_to_the_page(tmp_path):
    # 30 inputs and 30 weights feed 30 units: 60 leaves, 1.3 cm apart, would run 78 cm down the page.
    n = 30
    lines = ["[graph]", *[f'h{i} = "sigmoid(w{i}*x{i})"' for i in range(1, n + 1)]]
    lines += ['E = "' + " + ".join(f"h{i}" for i in range(1, n + 1)) + '"', "[roles]", 'loss = "E"']
    lines += ["params = [" + ", ".join(f'"w{i}"' for i in range(1, n + 1)) + "]", "[at]"]
    lines += [f"w{i} = 0.5" for i in range(1, n + 1)] + [f"x{i} = 1" for i in range(1, n + 1)]
    source = tmp_path / "tall.toml"
    source.write_text("\n".join(lines) + "\n")
    out = write_document(source, tmp_path / "tall.tex", "--figure", "--values", "--form", "delta")
    assert r"\resizebox{!}{\ifdim\height>0.7\textheight" in out.read_text()
    compile_ok(out)
