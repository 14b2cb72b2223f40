"""The graph's layout by depth and its Graphviz DOT text."""

from __future__ import annotations

import subprocess

from conftest import needs_graphviz
from reference import TWO_BRANCH

from symbackprop.exercise.model import from_equations
from symbackprop.render.dot import columns, graph_dot


def two_branch():
    return from_equations(TWO_BRANCH, params=["w1", "w2", "w3", "w4", "w5"])


def test_columns_run_from_inputs_and_params_to_the_loss():
    found = columns(two_branch())
    # depth by hand: s1 1, h1 2, s2 s3 3, h2 h3 4, s4 5, y 6, E 7
    assert found[1:] == [["s1"], ["h1"], ["s2", "s3"], ["h2", "h3"], ["s4"], ["y"], ["E"]]
    assert sorted(found[0]) == ["w1", "w2", "w3", "w4", "w5", "x_t", "y_t"]


def test_the_loss_is_last_even_on_a_short_branch():
    ex = from_equations({"a": "x*w", "b": "sin(a)", "c": "b**2", "L": "a + w"}, params=["w"], loss="L")
    assert columns(ex)[-1] == ["L"]


def test_dot_of_z_equals_t_squared():
    ex = from_equations({"t": "x + y", "z": "t**2"}, params=["x", "y"])
    expected = """digraph "equations" {
  rankdir=LR;
  node [shape=circle];
  { rank=source; "x" [label="x", shape=box]; "y" [label="y", shape=box]; }
  "t" [label="t"];
  "z" [label="z", shape=doublecircle];
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
