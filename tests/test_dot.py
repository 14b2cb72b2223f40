"""The graph's layout by depth and its Graphviz DOT text."""

from __future__ import annotations

import subprocess

import pytest
from conftest import needs_graphviz
from reference import TWO_BRANCH, sigmoid
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.engine.derivation import derive
from symbackprop.engine.symbolic import SymbolicDerivation
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations, load
from symbackprop.render.dot import columns, graph_dot, node_numbers


def two_branch():
    return from_equations(TWO_BRANCH, params=["w1", "w2", "w3", "w4", "w5"])


def test_columns_run_from_inputs_and_params_to_the_loss_by_layers():
    found = [sorted(column) for column in columns(two_branch())]
    # depth by hand: s1 1, h1 2, s2 s3 3, h2 h3 4, s4 5, y 6, E 7; each input or param one
    # column left of the first node it feeds: w1, x_t → s1; w2, w3 → s2, s3; w4, w5 → s4; y_t → E
    assert found == [
        ["w1", "x_t"],
        ["s1"],
        ["h1", "w2", "w3"],
        ["s2", "s3"],
        ["h2", "h3", "w4", "w5"],
        ["s4"],
        ["y", "y_t"],
        ["E"],
    ]


def test_a_layer_nets_weights_sit_beside_the_layer_they_feed():
    # lecture 001's 2-2-1 net: x⁰ and W¹ feed net¹, x¹ and W² feed net², t and x² feed L
    found = [sorted(column) for column in columns(load("bp-2-2-1-sigmoid"))]
    assert found == [
        ["W1_11", "W1_12", "W1_21", "W1_22", "x0_1", "x0_2"],
        ["net1_1", "net1_2"],
        ["W2_11", "W2_12", "x1_1", "x1_2"],
        ["net2_1"],
        ["t_1", "x2_1"],
        ["L"],
    ]
    # each weight beside the unit it feeds: W¹₁ⱼ above W¹₂ⱼ as net¹₁ is above net¹₂
    first = columns(load("bp-2-2-1-sigmoid"))[0]
    assert max(first.index("W1_11"), first.index("W1_12")) < min(first.index("W1_21"), first.index("W1_22"))


def test_the_loss_is_last_even_on_a_short_branch():
    ex = from_equations({"a": "x*w", "b": "sin(a)", "c": "b**2", "L": "a + w"}, params=["w"], loss="L")
    assert columns(ex)[-1] == ["L"]


def test_dot_of_z_equals_t_squared():
    ex = from_equations({"t": "x + y", "z": "t**2"}, params=["x", "y"])
    expected = """digraph "equations" {
  rankdir=LR;
  node [shape=circle];
  "x" [label="x", shape=box];
  "y" [label="y", shape=box];
  "t" [label="t"];
  "z" [label="z", shape=doublecircle];
  { rank=same; "x"; "y"; }
  { rank=same; "t"; }
  { rank=same; "z"; }
  "x" -> "t" [label="1"];
  "y" -> "t" [label="1"];
  "t" -> "z" [label="2·t"];
}"""
    assert graph_dot(ex, edge_labels=True) == expected


def test_dot_has_every_edge_once_and_pretty_labels():
    text = graph_dot(two_branch())
    edges = [line.strip() for line in text.splitlines() if "->" in line]
    assert len(edges) == len(set(edges)) == 16  # counted by hand from the nine equations
    assert '"h1" -> "s3";' in edges and '"y_t" -> "E";' in edges
    assert '"w1" [label="w₁", shape=box];' in text and '"x_t" [label="xₜ"];' in text


def test_a_keyword_name_is_quoted():
    text = graph_dot(from_equations({"node": "graph*w", "E": "node**2"}, params=["w"]))
    assert '"graph" -> "node";' in text


@needs_graphviz  # CI installs Graphviz (.ci/run), so there a missing `dot` fails instead of skipping
def test_graphviz_reads_it():
    result = subprocess.run(["dot", "-Tsvg"], input=graph_dot(two_branch(), True), capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_values_draw_each_nodes_value_and_gradient_as_micrograd():
    # lecture 001: f = (x + y)z at x = −2, y = 5, z = −4: q = 3, f = −12; ∂f/∂x = ∂f/∂y = z = −4, ∂f/∂z = q = 3
    ex = from_equations({"q": "x + y", "f": "q*z"}, params=["x", "y", "z"], at={"x": -2, "y": 5, "z": -4})
    text = graph_dot(ex, values=node_numbers(derive(ex)))
    assert "node [shape=record];" in text
    assert '"q" [label="q|value 3|grad -4"];' in text
    assert '"z" [label="z|value -4|grad 3", style=filled, fillcolor=gray90];' in text
    assert '"f" [label="f|value -12|grad 1", peripheries=2];' in text


def test_values_round_to_four_figures():
    # two-branch at its point: ∂E/∂w₁ = −0.0158464 (lecture 003's example, recomputed in test_latex)
    ex = load("two-branch-sigmoid")
    h1 = sigmoid(1.0)
    h2, h3 = sigmoid(0.5 * h1), sigmoid(-h1)
    y = 1.5 * h2 - 0.5 * h3
    dw1 = -(1 - y) * (1.5 * h2 * (1 - h2) * 0.5 + -0.5 * h3 * (1 - h3) * -1) * h1 * (1 - h1)
    text = graph_dot(ex, values=node_numbers(derive(ex)))
    assert f'"w1" [label="w₁|value 1|grad {dw1:.4g}"' in text and f"{dw1:.4g}" == "-0.01585"


def test_show_dot_values_through_the_cli():
    runner = CliRunner()
    result = runner.invoke(app, ["show", "fx-plus-y-times-z", "--dot", "--values"])
    assert result.exit_code == 0 and '"q" [label="q|value 3|grad -4"];' in result.output
    refused = runner.invoke(app, ["show", "fx-plus-y-times-z", "--values"])
    assert refused.exit_code == 2 and "--values: draws on the DOT graph: give --dot too" in refused.output
    data = runner.invoke(app, ["show", "linear-perceptron-two-samples", "--dot", "--values"])
    assert data.exit_code == 2 and "2 samples, a value each: one figure cannot show them" in data.output


def test_values_need_a_point():
    with pytest.raises(SymbackpropError, match="has no point"):
        node_numbers(SymbolicDerivation(from_equations({"E": "w*x"})))


@needs_graphviz
def test_graphviz_reads_the_records():
    ex = load("bp-2-2-2-sigmoid-no-bias")
    text = graph_dot(ex, values=node_numbers(derive(ex)))
    result = subprocess.run(["dot", "-Tsvg"], input=text, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
