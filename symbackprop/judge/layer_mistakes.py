"""The mistakes a written layer rule can have, each found by undoing it: the repaired answer is the rule.

Used by :class:`symbackprop.judge.layer_rule.LayerRuleJudge`: for each repair it yields, the
judge checks whether the answer with that one thing changed has the rule's values.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator

from symbackprop.engine.layer_rules import L as OUTPUT
from symbackprop.engine.layer_rules import LayerRules, Rule, layers_of
from symbackprop.judge.mistakes import ACTIVATION, SIGN
from symbackprop.parse.layer_rule import OWN_SLOPE, Layer, Node, contains, is_index_form, walk

TRANSPOSE = "transpose"
LAYER_INDEX = "layer_index"
UNIT_INDEX = "unit_index"
ACTIVATION_LAYER = "activation_layer"
# Mistakes only a layer rule can have: the words of reports and of ``partial`` credit.
LAYER_KINDS = (TRANSPOSE, LAYER_INDEX, UNIT_INDEX, ACTIVATION_LAYER)


def repairs(answer: Node, rule: Rule, rules: LayerRules) -> Iterator[tuple[str, str, Node]]:
    """The answer with one typical mistake undone, with the mistake's kind and words."""
    convention = "δ = −∂L/∂net" if rules.sign < 0 else "δ = ∂L/∂net"
    words = f'the sign: the rule is the negative of this under {convention} (delta_sign = "{rules.convention}")'
    yield SIGN, words, Node("neg", (answer,))
    yield (
        TRANSPOSE,
        "the transpose is missing: W^{l+1}_{ki} (in matrix form (W^{l+1})^T), not W^{l+1}_{ik}",
        _map(answer, _transposed),
    )
    for target, name in _layered(answer, ("W", "delta", "x", "net", "b")):
        for shift in (1, -1):
            moved = _replaced(answer, target, _shifted(target, shift))
            yield LAYER_INDEX, f"the wrong layer index on {name}: {_layer_words(target.layer, shift)}", moved
    for target, name in _layered(answer, ("W", "delta", "x", "net", "b")):
        if target.indices is not None and len(target.indices) == 1 and rule.kind == "dW":
            other = {"i": "j", "j": "i"}.get(target.indices[0])
            if other is not None:
                moved = _replaced(answer, target, dataclasses.replace(target, indices=(other,)))
                yield UNIT_INDEX, f"the wrong unit index on {name}: _{other}, not _{target.indices[0]}", moved
    symbol = "L" if rule.layer == OUTPUT else "l"
    for general in _generalized(answer, symbol, rules, layers_of(rule, rules.net)):
        extra = " or L" if symbol == "l" else ""
        words = f"a concrete layer number{extra} where the general rule has {symbol}: that holds on one net only"
        yield LAYER_INDEX, words, general
    for target in walk(answer):
        if target.kind == "sum" and target.upper is not None:
            words = f"the wrong layer in the sum's bound: n^{_layer_text(target.upper)} is not the units k runs over"
            yield LAYER_INDEX, words, _replaced(answer, target, dataclasses.replace(target, upper=None))
        if target.kind == "sum" and target.lower not in (None, 1):
            words = f"the sum starts at {target.name} = {target.lower}: the units are numbered from 1"
            yield UNIT_INDEX, words, _replaced(answer, target, dataclasses.replace(target, lower=None))
    for target, _ in _layered(answer, ("slope",)):
        if target.name != OWN_SLOPE:
            feedback = f"{target.name}′ is not this layer's activation derivative: f′ is the layer's own activation's"
            yield ACTIVATION, feedback, _replaced(answer, target, dataclasses.replace(target, name=OWN_SLOPE))
    for target, _ in _layered(answer, ("slope",)):
        for shift in (1, -1):
            moved = _replaced(answer, target, _shifted(target, shift))
            yield ACTIVATION_LAYER, f"f′ of the wrong layer: {_layer_words(target.layer, shift)}", moved
    if not contains(answer, lambda node: node.kind == "slope") and rule.kind == "delta":
        own = Layer("L" if rule.layer == OUTPUT else "l", 0)
        index_form = is_index_form(answer)
        slope = Node("slope", name=OWN_SLOPE, layer=own, indices=("i",) if index_form else None)
        feedback = "f′(net) of the unit's own layer is missing (the derivative of its activation)"
        yield ACTIVATION, feedback, Node("mul" if index_form else "had", (answer, slope))


def _generalized(answer: Node, symbol: str, rules: LayerRules, layers: list[int]) -> Iterator[Node]:
    """The answer with its concrete layers (2, or L in a hidden rule) written from ``symbol``, on each layer of the net.

    ``W^{2}`` in the hidden rule of a 2-2-1 net is ``W^{l+1}`` at l = 1: the general rule the
    student worked out on this net, with l put in.
    """
    last = len(rules.net.sizes) - 1

    def general(written: Layer | None, base: int) -> Layer | None:
        if written is None or written.symbol == symbol:
            return None
        value = written.offset if written.symbol is None else last + written.offset
        return Layer(symbol, value - base)

    def concrete(node: Node) -> bool:
        return any(general(layer, 0) is not None for layer in (node.layer, node.upper))

    if not contains(answer, concrete):
        return
    for base in layers if symbol == "l" else [last]:

        def change(node: Node, base: int = base) -> Node | None:
            if not concrete(node):
                return None
            args = tuple(_map(child, change) for child in node.args)
            layer, upper = general(node.layer, base) or node.layer, general(node.upper, base) or node.upper
            return dataclasses.replace(node, layer=layer, upper=upper, args=args)

        yield _map(answer, change)


def _replaced(answer: Node, target: Node, new: Node) -> Node:
    """The answer with the node ``target`` (that very node) replaced by ``new``."""

    def change(node: Node) -> Node | None:
        return new if node is target else None

    return _map(answer, change)


def _layer_words(layer: Layer | None, shift: int) -> str:
    if layer is None:
        return "its layer"
    wrong, right = _layer_text(layer), _layer_text(Layer(layer.symbol, layer.offset + shift))
    return f"layer {right}, not {wrong}"


def _layer_text(layer: Layer) -> str:
    if layer.symbol is None:
        return str(layer.offset)
    return layer.symbol + (f"{layer.offset:+d}" if layer.offset else "")


def _layered(answer: Node, kinds: tuple[str, ...]) -> list[tuple[Node, str]]:
    found = []
    for node in walk(answer):
        if (node.kind == "q" and node.name in kinds and node.layer is not None) or (
            node.kind == "slope" and "slope" in kinds
        ):
            found.append((node, node.name or "f′"))
    return found


def _shifted(node: Node, shift: int) -> Node:
    layer = node.layer or Layer(None, 0)
    return dataclasses.replace(node, layer=Layer(layer.symbol, layer.offset + shift))


def _transposed(node: Node) -> Node | None:
    """W_{ik} for W_{ki} in index form; W for Wᵀ (and Wᵀ for W) in matrix form."""
    if node.kind == "q" and node.name == "W" and node.indices is not None and len(node.indices) == 2:
        return dataclasses.replace(node, indices=node.indices[::-1])
    if node.kind == "T" and node.args[0].kind == "q" and node.args[0].name == "W":
        return node.args[0]
    if node.kind == "q" and node.name == "W" and node.indices is None:
        return Node("T", (node,))
    return None


def _map(node: Node, change: Callable[[Node], Node | None]) -> Node:
    """The tree with ``change`` applied top-down: where it gives a node, that node replaces the subtree."""
    changed = change(node)
    if changed is not None:
        return changed
    if not node.args:
        return node
    return dataclasses.replace(node, args=tuple(_map(child, change) for child in node.args))
