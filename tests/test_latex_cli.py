"""``symbackprop latex``, ``derive --latex`` and ``show --dot`` through typer's CliRunner."""

from __future__ import annotations

import pytest
import sympy
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.engine.derivation import derive
from symbackprop.exercise.model import load

runner = CliRunner()


def invoke(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 0, result.output
    return result.output


def one_error_line(*args: str) -> str:
    result = runner.invoke(app, list(args))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert "Traceback" not in result.output
    return lines[0]


def test_latex_prints_one_block_per_param():
    out = invoke("latex", "fx-plus-y-times-z")
    assert out.startswith("At $x = -2$, $y = 5$, $z = -4$:")
    assert out.count(r"\begin{align*}") == 3 and out.count(r"\end{align*}") == 3
    assert r"\documentclass" not in out and "tikzpicture" not in out


def test_wrt_keeps_only_the_asked_params():
    out = invoke("latex", "two-branch-sigmoid", "--wrt", "w5", "--wrt", "w3")
    assert out.count(r"\begin{align*}") == 2
    assert out.index(r"{\partial w_{5}}") < out.index(r"{\partial w_{3}}")


def test_standalone_is_a_document_and_tikz_only_with_the_figure():
    plain = invoke("latex", "z-equals-t-squared", "--standalone")
    assert plain.startswith(r"\documentclass{article}") and plain.rstrip().endswith(r"\end{document}")
    assert r"\usepackage{amsmath}" in plain and "tikz" not in plain
    drawn = invoke("latex", "z-equals-t-squared", "--standalone", "--figure")
    assert r"\usepackage{tikz}" in drawn and r"\begin{tikzpicture}" in drawn
    assert "node[label]" not in drawn  # edges are labelled only when asked
    labelled = invoke("latex", "z-equals-t-squared", "--standalone", "--figure", "--edge-labels")
    assert r"node[label] {$2 t$}" in labelled  # ∂z/∂t = 2t on the edge t → z


def test_output_file_is_written_whole_and_nothing_else_is_left(tmp_path):
    out = tmp_path / "solution.tex"
    out.write_text("old")
    assert invoke("latex", "four-paths", "-o", str(out)) == ""
    assert r"2 \pi - 3 \approx 3.28319" in out.read_text()
    assert [path.name for path in tmp_path.iterdir()] == ["solution.tex"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("latex", "no-such-exercise"), "unknown exercise 'no-such-exercise'"),
        (("latex", "four-paths", "--wrt", "nope"), "--wrt: 'nope' is not a name of four-paths"),
        (("latex", "four-paths", "--at", "w"), "--at: expected NAME=VALUE"),
        (("latex", "four-paths", "-o", "/nonexistent-dir/x.tex"), "/nonexistent-dir/x.tex: cannot write"),
        (("latex", "missing.toml"), "missing.toml: no such file"),
        (("derive", "four-paths", "--json", "--latex"), "--latex: give --json or --latex, not both"),
        (("show", "no-such-exercise", "--dot"), "unknown exercise 'no-such-exercise'"),
        (("latex", "four-paths", "--edge-labels"), "--edge-labels: labels the figure's edges: give --figure too"),
        (("show", "four-paths", "--edge-labels"), "--edge-labels: labels the DOT graph's edges: give --dot too"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    assert message in one_error_line(*args)


def test_bad_toml_names_the_file_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[graph]\nE = "w*q("\n[roles]\nloss = "E"\nparams = ["w"]\n[at]\nw = 1\nq = 2\n')
    line = one_error_line("latex", str(bad))
    assert str(bad) in line and "graph.E" in line


def test_derive_latex_prints_the_same_blocks():
    derived = invoke("derive", "two-branch-sigmoid", "--wrt", "w1", "--latex")
    written = invoke("latex", "two-branch-sigmoid", "--wrt", "w1")
    assert derived == written
    assert r"&= -(y_{t} - y) w_{4} h_{2}(1 - h_{2}) w_{2} h_{1}(1 - h_{1}) x_{t} \\" in derived


def test_derive_latex_with_equations():
    out = invoke("derive", "-e", "E = (t - sigmoid(w*x))**2/2", "--wrt", "w", "--latex")
    assert out.startswith(r"\begin{align*}")  # no point: no values, no "At …" line
    assert r"\sigma\left(w x\right)" in out


def test_derive_keeps_its_terminal_form():
    assert "∂E/∂w₁" in invoke("derive", "--wrt", "w1")


def test_show_dot_writes_graphviz():
    out = invoke("show", "fx-plus-y-times-z", "--dot")
    assert out.startswith('digraph "fx-plus-y-times-z" {') and out.rstrip().endswith("}")
    for edge in ('"x" -> "q";', '"y" -> "q";', '"q" -> "f";', '"z" -> "f";'):
        assert edge in out
    labelled = invoke("show", "fx-plus-y-times-z", "--dot", "--edge-labels")
    assert '"q" -> "f" [label="z"];' in labelled  # ∂f/∂q = z, lecture 001
    assert '"z" -> "f" [label="q"];' in labelled


def test_show_without_dot_is_unchanged():
    out = invoke("show", "fx-plus-y-times-z")
    assert "digraph" not in out and "edges" in out


def test_latex_closed_limit_states_the_size_or_sets_the_form(tmp_path):
    # ∂E/∂w of σ(σ(w·x)) at w = 1/10, x = 1: σ′ of a σ times σ′(wx)·x, a few dozen nodes.
    source = tmp_path / "nested.toml"
    source.write_text(
        '[graph]\nE = "sigmoid(sigmoid(w*x))"\n[roles]\nloss = "E"\nparams = ["w"]\n[at]\nw = 0.1\nx = 1\n'
    )
    size = len(list(sympy.preorder_traversal(derive(load(str(source))).gradient("w").closed)))
    assert size > 5
    bounded = invoke("latex", str(source), "--closed-limit", "5")
    assert rf"closed\_size = {size}, over 5 terms and factors" in bounded
    unbounded = invoke("latex", str(source), "--closed-limit", "0")
    assert "closed\\_size" not in unbounded and r"\sigma\left(\sigma\left(w x\right)\right)" in unbounded
