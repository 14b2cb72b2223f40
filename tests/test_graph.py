"""The graph as structure: order, leaves, cycles, path counts and bounded path lists."""

from __future__ import annotations

import itertools
import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from symbackprop.core.graph import CycleError, Graph


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


def test_a_constant_node_is_ordered_and_is_not_a_cycle():
    # s1 = 3: a node whose right side uses no name is a constant, not a cycle.
    g = Graph({"s1": (), "E": ("s1", "w")})
    assert g.find_cycle() == []
    order = g.order
    assert sorted(order) == ["E", "s1", "w"]
    assert order.index("s1") < order.index("E") and order.index("w") < order.index("E")
    assert g.paths("w", "E", limit=10) == [("w", "E")]
    assert g.count_paths("w", "E") == 1
    assert g.between("w", "E") == ["w", "E"]


def test_a_constant_loss_has_no_paths_from_a_param():
    # E = 2 alone: ordered, and no param reaches it; a constant feeding the loss adds no path.
    assert Graph({"E": ()}).order == ("E",)
    g = Graph({"c": (), "h": ("c",), "E": ("h", "x"), "u": ("w",)})
    assert set(g.order) == {"c", "h", "E", "x", "u", "w"}
    assert g.paths("w", "E", limit=10) == []
    assert g.count_paths("w", "E") == 0
    assert not g.reaches("w", "E")
    assert g.paths("x", "E", limit=10) == [("x", "E")]


def chain(n: int, *, closed: bool = False) -> Graph:
    """a0 uses x (and a{n−1} when closed), a{i} uses a{i−1}: a chain of n nodes."""
    parents = {"a0": (f"a{n - 1}", "x") if closed else ("x",)}
    parents |= {f"a{i}": (f"a{i - 1}",) for i in range(1, n)}
    return Graph(parents)


def test_a_long_chain_has_its_one_path_without_recursion():
    n = 5000  # far past Python's recursion limit
    g = chain(n)
    assert g.count_paths("x", f"a{n - 1}") == 1
    assert g.paths("x", f"a{n - 1}", limit=64) == [("x", *(f"a{i}" for i in range(n)))]
    assert g.order == ("x", *(f"a{i}" for i in range(n)))
    assert g.find_cycle() == []


def test_a_long_cycle_is_named_in_order():
    n = 5000
    g = chain(n, closed=True)
    names = [f"a{i}" for i in range(n)]
    assert g.find_cycle() == [*names, "a0"]
    with pytest.raises(CycleError, match=f"^cycle: a0 → a1 → a2 → .* → a{n - 1} → a0$"):
        _ = g.order
