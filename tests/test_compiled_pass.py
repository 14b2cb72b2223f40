"""The compiled pass (train's ten thousand steps) gives every float exactly as the tree-walking pass does."""

from __future__ import annotations

import re

import pytest
from conftest import EXERCISE_FILES

from symbackprop.engine.evaluation import CompiledPass, evaluate_sample
from symbackprop.engine.local import local_derivatives
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import from_equations, load


def keep(value: float) -> float:
    """A rounding that rounds nothing: it sends evaluate_sample down the tree-walking pass."""
    return value


@pytest.mark.parametrize("path", EXERCISE_FILES, ids=lambda path: path.stem)
def test_every_exercise_gives_the_same_floats_compiled_and_walked(path):
    ex = load(str(path))
    point = ex.at()
    if point is None:
        pytest.skip("no point")
    local = local_derivatives(ex)
    for leaves in ex.sample_points(point):
        compiled = CompiledPass(ex, local)(leaves)
        walked = evaluate_sample(ex, local, leaves, rounding=keep)
        assert compiled.values == walked.values
        assert compiled.edges == walked.edges
        assert compiled.adjoints == walked.adjoints
        assert list(compiled.values) == list(walked.values)  # and in the same order


def test_a_value_the_compiled_pass_cannot_take_is_reported_where_it_is():
    # 1/(w − 1) at w = 1: the compiled pass divides by zero, the walked one says which node.
    ex = from_equations({"h": "w - 1", "E": "1/h"}, params=["w"], at={"w": 1})
    local = local_derivatives(ex)
    with pytest.raises(SymbackpropError) as caught:
        evaluate_sample(ex, local, ex.at())
    assert caught.value.key == "graph.E"


def test_the_compiled_source_holds_no_name_from_the_exercise():
    # Names that are the generated code's own (leaves, run, t) never reach it as text.
    ex = from_equations({"leaves": "w*x", "E": "(t - leaves)**2/2"}, params=["w"], at={"w": 2, "x": 3, "t": 1})
    compiled = CompiledPass(ex, local_derivatives(ex))
    words = set(re.findall(r"[A-Za-z_]\w*", compiled.source))
    own = {"def", "run", "leaves", "return", "fsum", "power", "float", "t"}
    assert all(word in own or re.fullmatch(r"[vea]\d+", word) for word in words), words
    assert "leaves" not in compiled.source.split("def run(leaves):")[1].replace("leaves[", "")
    # E = (1 − 6)²/2 = 12.5; ∂E/∂w = −(t − leaves)·x = 15.
    result = compiled(ex.at())
    assert result.values["E"] == 12.5 and result.adjoints["w"] == 15.0


def test_a_loss_of_constants_alone_compiles_with_no_edges():
    # E = 2 uses no name: no edge, no leaf; its pass is the value 2 and ∂E/∂E = 1.
    ex = from_equations({"E": "2"})
    result = CompiledPass(ex, local_derivatives(ex))({})
    assert (result.values, result.edges, result.adjoints) == ({"E": 2.0}, {}, {"E": 1.0})
