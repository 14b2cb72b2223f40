"""The graph as structure: order, leaves, cycles, path counts and bounded path lists."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop.graph import CycleError, Graph


def layered(widths: list[int]) -> Graph:
    """A fully connected layered DAG: a{l}_{i} uses every node of layer l − 1; layer 0 is leaves."""
    parents = {}
    for layer in range(1, len(widths)):
        for i in range(widths[layer]):
            parents[f"a{layer}_{i}"] = tuple(f"a{layer - 1}_{j}" for j in range(widths[layer - 1]))
    return Graph(parents)


def test_leaves_and_order_follow_the_equations():
    g = Graph({"s1": ("w1", "x_t"), "h1": ("s1",), "E": ("h1", "y_t")})
    assert g.leaves == ("w1", "x_t", "y_t")
    assert g.nodes == ("s1", "h1", "E")
    order = g.order
    assert order.index("s1") < order.index("h1") < order.index("E")


def test_a_cycle_is_named():
    g = Graph({"a": ("b", "x"), "b": ("a",)})
    with pytest.raises(CycleError, match="cycle: "):
        _ = g.order
    cycle = g.find_cycle()
    assert cycle[0] == cycle[-1] and set(cycle) == {"a", "b"}


def test_four_path_example_has_four_paths():
    # Deck 003: y = 1/(x + t), x = v² + w, t = sin((w + v)π), v = eʷ — the slide numbers ① to ④.
    g = Graph({"v": ("w",), "x": ("v", "w"), "t": ("v", "w"), "y": ("t", "x")})
    assert g.count_paths("w", "y") == 4
    assert sorted(g.paths("w", "y", limit=10)) == sorted(
        [("w", "v", "x", "y"), ("w", "v", "t", "y"), ("w", "x", "y"), ("w", "t", "y")]
    )


def test_paths_in_a_dense_network_are_counted_without_listing():
    # From a leaf of a 3-5-5-5-1 net, a path picks one unit in each of the three hidden layers.
    g = layered([3, 5, 5, 5, 1])
    assert g.count_paths("a0_0", "a4_0") == 5**3
    listed = g.paths("a0_0", "a4_0", limit=7)
    assert len(listed) == 7
    assert all(path[0] == "a0_0" and path[-1] == "a4_0" for path in listed)


def test_between_keeps_only_nodes_on_some_path():
    g = Graph({"s": ("w",), "u": ("x",), "E": ("s", "u")})
    assert g.between("w", "E") == ["w", "s", "E"]
    assert not g.reaches("x", "s")


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.booleans(), min_size=6, max_size=6), min_size=6, max_size=6))
def test_count_paths_equals_brute_force_enumeration(adjacency):
    # Nodes n1..n6, each may use any earlier name (n0 is the only leaf): a random DAG.
    parents = {}
    for i in range(1, 7):
        used = tuple(f"n{j}" for j in range(i) if adjacency[i - 1][j] or j == i - 1)
        parents[f"n{i}"] = used
    g = Graph(parents)

    def brute(node: str) -> int:  # independent: recursion over parents, not the DP
        if node == "n0":
            return 1
        return sum(brute(p) for p in parents[node])

    assert g.count_paths("n0", "n6") == brute("n6")
    assert len(g.paths("n0", "n6", limit=math.inf)) == brute("n6")
    assert len(set(g.paths("n0", "n6", limit=math.inf))) == brute("n6")


def test_order_is_a_topological_order_of_a_layered_net():
    g = layered([2, 3, 2])
    position = {name: i for i, name in enumerate(g.order)}
    for node, used in g.parents.items():
        for parent, _ in itertools.product(used, [0]):
            assert position[parent] < position[node]
