"""``symbackprop latex``, ``derive --latex`` and ``show --dot`` through typer's CliRunner."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

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
    out = invoke("latex", "fx-plus-y-times-z", "--form", "paths")
    assert out.startswith("At $x = -2$, $y = 5$, $z = -4$:\n\n\\subsection*{Paths}\n")
    assert out.count(r"\begin{align*}") == 3 and out.count(r"\end{align*}") == 3
    assert r"\documentclass" not in out and "tikzpicture" not in out


def test_wrt_keeps_only_the_asked_params():
    out = invoke("latex", "two-branch-sigmoid", "--wrt", "w5", "--wrt", "w3", "--form", "chain")
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
        (("latex", "four-paths", "-o", "/nonexistent-dir/x.tex"), "/nonexistent-dir/x.tex: no such directory"),
        (("latex", "missing.toml"), "missing.toml: no such file"),
        (("derive", "four-paths", "--json", "--latex"), "--latex: give --json or --latex, not both"),
        (("show", "no-such-exercise", "--dot"), "unknown exercise 'no-such-exercise'"),
        (("latex", "four-paths", "--edge-labels"), "--edge-labels: labels the figure's edges: give --figure too"),
        (("latex", "four-paths", "--form", "nope"), "--form: unknown form 'nope' (one of chain, paths, delta"),
        (("latex", "four-paths", "--values"), "--values: draws on the figure: give --figure too"),
        (
            ("latex", "four-paths", "--figure", "--values", "--questions"),
            "--values: would print the gradients the questions ask",
        ),
        (
            ("latex", "linear-perceptron-two-samples", "--figure", "--values"),
            "--values: linear-perceptron-two-samples has 2 samples, a value each",
        ),
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
    assert out.startswith(r"\subsection*{Chain rule and paths}")  # no point: no values, no "At …" line
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


def test_latex_help_does_not_import_sympy():
    # The forms --help lists come from render.forms, which imports no SymPy.
    code = (
        "import sys; from symbackprop.cli import app\n"
        "try:\n    app(['latex', '--help'])\nexcept SystemExit:\n    pass\n"
        "assert 'sympy' not in sys.modules, 'imported'"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize("form", ["chain", "paths", "delta", "closed", "all"])
def test_latex_form_is_derive_latex_form(form):
    assert invoke("latex", "two-branch-sigmoid", "--form", form) == invoke(
        "derive", "two-branch-sigmoid", "--latex", "--form", form
    )


def test_each_form_is_its_own_labelled_section():
    sections = {
        "chain": [r"\subsection*{Chain rule}"],
        "paths": [r"\subsection*{Paths}"],
        "delta": [r"\subsection*{Error terms"],
        "closed": [r"\subsection*{Closed forms, in inputs and params}"],
        "all": [r"\subsection*{Chain rule and paths}", r"\subsection*{Error terms", r"\subsection*{Closed forms"],
    }
    for form, titles in sections.items():
        out = invoke("latex", "two-branch-sigmoid", "--form", form)
        found = [line for line in out.splitlines() if line.startswith(r"\subsection*")]
        assert len(found) == len(titles) and all(map(str.startswith, found, titles)), form
    chain = invoke("latex", "two-branch-sigmoid", "--form", "chain", "--wrt", "w5")
    assert r"\frac{\partial s_{4}}{\partial w_{5}}" in chain and "h_{3}" not in chain  # no product, only ∂s
    paths = invoke("latex", "two-branch-sigmoid", "--form", "paths", "--wrt", "w5")
    assert r"\frac{\partial s_{4}}" not in paths and r"-(y_{t} - y) h_{3}" in paths


def test_the_delta_block_is_written_once_for_every_param():
    # two-branch-sigmoid: every param's δ recursion passes through s₄ and y; each δ is written once.
    out = invoke("latex", "two-branch-sigmoid", "--form", "delta")
    assert out.count(r"\begin{align*}") == 1
    for node in ("y", "s_{4}", "h_{1}", "s_{1}"):
        assert out.count(rf"\delta_{{{node}}} &= ") == 1, node
    for param in range(1, 6):
        assert out.count(rf"\frac{{\partial E}}{{\partial w_{{{param}}}}} &= ") == 1
    # δ before the param lines, from the loss back: δ_y first, δ_{s₁} last
    assert out.index(r"\delta_{y} &=") < out.index(r"\delta_{s_{4}} &=") < out.index(r"\delta_{s_{1}} &=")
    assert out.index(r"\delta_{s_{1}} &=") < out.index(r"\frac{\partial E}{\partial w_{1}} &=")


def test_the_delta_heading_names_the_exercises_sign():
    default = invoke("latex", "two-branch-sigmoid", "--form", "delta")
    assert r"\subsection*{Error terms $\delta_{n} = \frac{\partial E}{\partial n}$ (delta\_sign = dL/dnet" in default
    lecture = invoke("latex", "bp-2-2-1-sigmoid", "--form", "delta")
    assert r"$\delta_{n} = -\frac{\partial L}{\partial n}$ (delta\_sign = -dL/dnet, lecture 001's)" in lecture
    # lecture 001: δ²₁ = (t₁ − y₁)y₁(1 − y₁) < 0 at its point, and ∂L/∂W²₁₁ = −δ²₁x¹₁ > 0
    line = next(line for line in lecture.splitlines() if line.startswith(r"\delta^{2}_{1} &="))
    assert float(line.split(" = ")[-1].split()[0]) < 0
    assert r"\frac{\partial L}{\partial W^{2}_{11}} &= -\delta^{2}_{1} x^{1}_{1} = " in lecture


def test_closed_forms_beside_the_others_only_when_short_and_the_bound_is_stated():
    # bp-2-2-2: ∂E/∂w₁ through both outputs is long, ∂E/∂w₅ through one output shorter; both over 40 nodes.
    ex = load("bp-2-2-2-sigmoid-no-bias")
    sizes = {p: len(list(sympy.preorder_traversal(derive(ex).gradient(p).closed))) for p in ("w1", "w5")}
    assert 40 < sizes["w5"] < sizes["w1"] <= 300
    everything = invoke("latex", "bp-2-2-2-sigmoid-no-bias", "--wrt", "w1", "--wrt", "w5")
    for param in ("w1", "w5"):
        assert rf"closed\_size = {sizes[param]}, over 40 terms and factors: see \texttt{{-{{}}-form closed}}" in (
            everything
        )
    asked = invoke("latex", "bp-2-2-2-sigmoid-no-bias", "--wrt", "w1", "--wrt", "w5", "--form", "closed")
    assert "closed\\_size" not in asked and asked.count(r"\sigma\left(") > 10
    # a short one is set beside the others: ∂f/∂z = x + y
    assert r"\frac{\partial f}{\partial z} &= x + y" in invoke("latex", "fx-plus-y-times-z")


def test_output_never_overwrites_the_exercise_file(tmp_path):
    source = tmp_path / "ex.toml"
    source.write_text(Path(str(load("fx-plus-y-times-z").path)).read_text())
    before = source.read_text()
    for spelling in (str(source), str(tmp_path / "." / "ex.toml")):
        line = one_error_line("latex", str(source), "-o", spelling)
        assert "is an input of this command: it would be overwritten" in line
    link = tmp_path / "link.tex"
    link.symlink_to(source)
    assert "is an input of this command" in one_error_line("latex", str(source), "--output", str(link))
    assert source.read_text() == before


def test_figure_values_are_the_nodes_value_and_gradient():
    # lecture 001: f = (x + y)z at x = −2, y = 5, z = −4: q = 3 and ∂f/∂q = z = −4; f = −12
    out = invoke("latex", "fx-plus-y-times-z", "--figure", "--values", "--form", "delta")
    assert r"{$q$\\{\scriptsize value $3$}\\{\scriptsize grad $-4$}};" in out
    assert r"{$f$\\{\scriptsize value $-12$}\\{\scriptsize grad $1$}};" in out
    assert r"Each node: its value and grad, $\partial f/\partial$ the node, at the point." in out
    drawn = invoke("latex", "fx-plus-y-times-z", "--standalone", "--figure", "--values")
    assert r"{$z$\\{\scriptsize value $-4$}\\{\scriptsize grad $3$}};" in drawn
    assert "value" not in invoke("latex", "fx-plus-y-times-z", "--figure")


@pytest.mark.parametrize(
    "option",
    [
        ["--figure"],
        ["--edge-labels"],
        ["--values"],
        ["--wrt", "W1_11"],
        ["--closed-limit", "5"],
        ["--questions"],
        ["--variants", "variants.csv"],
        ["--student", "ben"],
        ["--out-dir", "/nonexistent-dir"],
    ],
)
def test_latex_form_layer_refuses_every_option_it_does_not_use(option):
    line = one_error_line("latex", "lecture001-general-rules", "--form", "layer", *option)
    assert "--form layer writes the general rules" in line and f"{option[0]}:" in line


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no FIFOs on this system")
@pytest.mark.parametrize("form", [[], ["--form", "layer"]])
def test_output_to_a_fifo_nobody_reads_is_refused_not_a_hang(tmp_path, form):
    fifo = tmp_path / "ff"
    os.mkfifo(fifo)
    source = "lecture001-general-rules" if form else "two-branch-sigmoid"
    assert "a FIFO that nobody reads" in one_error_line("latex", source, *form, "-o", str(fifo))
