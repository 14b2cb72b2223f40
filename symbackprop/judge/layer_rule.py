"""Is a written layer rule the derived one? Decided on the concrete net, at several points, and diagnosed.

An answer (a tree from :mod:`symbackprop.parse.layer_rule`) is put to every concrete layer the
rule is for: in index form unit by unit (``i``, and ``j`` for ∂L/∂W), in matrix form as a
whole. Its values are compared with the rule's instances (:mod:`symbackprop.engine.layer_rules`)
at the exercise's point and at seeded random points. A wrong answer is diagnosed by repairing
it: if the answer with one thing changed (W's indices swapped or transposed, one layer index
moved, f′ moved to another layer or put in, the sign flipped) is right, that was the mistake.
"""

from __future__ import annotations

import dataclasses
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from functools import cached_property

import sympy

from symbackprop.core.activation import conventions_in_force, np  # NumPy on first use: audit and grade start without it
from symbackprop.engine.derivation import derive
from symbackprop.engine.layer_rules import (
    NET_SYMBOL,
    LayerRules,
    PointValues,
    Rule,
    activation_derivative,
    derive_rules,
    instances,
    instantiate,
    layers_of,
)
from symbackprop.engine.layer_rules import L as OUTPUT
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.judge.mistakes import ACTIVATION, SIGN
from symbackprop.parse.layer_rule import OWN_SLOPE, Layer, Node

TRANSPOSE = "transpose"
LAYER_INDEX = "layer_index"
UNIT_INDEX = "unit_index"
ACTIVATION_LAYER = "activation_layer"
# Mistakes only a layer rule can have: the words of reports and of ``partial`` credit.
LAYER_KINDS = (TRANSPOSE, LAYER_INDEX, UNIT_INDEX, ACTIVATION_LAYER)
RANDOM_POINTS = 2
# Nodes evaluated for one answer at one point and layer: the parser bounds its size and its
# nested sums; this bounds their product too (a sum of 5000 terms over a layer of 2000 units).
MAX_STEPS = 200_000
AGREE = 1e-9


class NotDefined(Exception):
    """The answer has no value on this net: an index out of a layer's range, shapes that do not fit."""


@dataclass(frozen=True)
class Judgement:
    """Whether an answer is the rule, and if not, the mistake found (kind and one line), or none."""

    correct: bool
    kind: str | None = None
    feedback: str = ""


def contains(node: Node, test: Callable[[Node], bool]) -> bool:
    """Whether any node of the tree passes ``test``."""
    return test(node) or any(contains(child, test) for child in node.args)


def is_index_form(node: Node) -> bool:
    """Index form when the answer sums over an index or names a unit by a letter."""
    return contains(
        node, lambda n: n.kind == "sum" or (n.indices is not None and any(index.isalpha() for index in n.indices))
    )


class Point:
    """The net's numbers at one point, with the rules' δ at every unit."""

    def __init__(self, exercise: Exercise, rules: LayerRules, at: dict | None):
        self.exercise = exercise
        derivation = derive(exercise, at=at)
        self.values = PointValues(exercise, rules, derivation)
        instances(exercise, rules, derivation, self.values)
        self.net = rules.net
        self.sizes = rules.net.sizes
        self.last = len(self.sizes) - 1

    def is_own_slope(self, name: str, layer: int) -> bool:
        """Whether f′ written with ``name`` is layer ``layer``'s own: f (or g), or its activation's name."""
        return name in (OWN_SLOPE, self.net.activations[layer - 1])

    def other_slope(self, name: str, layer: int, unit: int) -> float:
        """Another activation's derivative at net^layer_unit: relu′ written on a sigmoid layer is relu′."""
        derivative = activation_derivative(name)
        if derivative is sympy.nan:
            raise NotDefined(f"{name}′ is not elementwise")
        with conventions_in_force(self.exercise.conventions):
            return float(derivative.subs(NET_SYMBOL, self.values.known[f"net{layer}_{unit}"]))

    def reference(self, rule: Rule, layer: int) -> np.ndarray:
        """The rule's instances at one layer, as the matrix form shapes them: a column, or Wˡ's shape for ∂L/∂W."""
        rows = self.sizes[layer]
        columns = self.sizes[layer - 1] if rule.kind == "dW" else 1
        table = np.empty((rows, columns))
        for unit in range(1, rows + 1):
            for column in range(1, columns + 1):
                expr = instantiate(rule, self.net, layer, unit, column if rule.kind == "dW" else None)
                table[unit - 1, column - 1] = self.values.evaluate(expr)
        return table


class Evaluator:
    """An answer's value at one point and one concrete layer of the rule."""

    def __init__(self, point: Point, layer: int):
        self.point, self.layer, self.steps = point, layer, 0

    def layer_of(self, written: Layer | None) -> int:
        if written is None:
            raise NotDefined("a layer is missing")
        base = {"l": self.layer, "L": self.point.last, None: 0}[written.symbol]
        value = base + written.offset
        if not 0 <= value <= self.point.last:
            raise NotDefined(f"there is no layer {value}")
        return value

    def slope(self, name: str, layer: int, unit: int) -> float:
        """f′ as written, at net^layer_unit: the layer's own (f, or its activation's name), else that function's."""
        try:
            if self.point.is_own_slope(name, layer):
                return self.point.values.slope(layer, unit)
            return self.point.other_slope(name, layer, unit)
        except KeyError as error:
            raise NotDefined(str(error)) from None

    # -- index form --------------------------------------------------------------------------

    def scalar(self, node: Node, bound: dict[str, int]) -> float:
        """The value of an index-form answer for the indices in ``bound``."""
        self.steps += 1
        if self.steps > MAX_STEPS:
            raise NotDefined(f"more than {MAX_STEPS} steps to evaluate")
        kind = node.kind
        if kind == "num":
            return node.value
        if kind == "size":
            return float(self.point.sizes[self.layer_of(node.layer)])
        if kind == "q":
            return self._entry(node, bound)
        if kind == "slope":
            layer = self.layer_of(node.layer)
            unit = self._units(node.indices or ("i",), bound)[0]
            if layer == 0 or unit > self.point.sizes[layer]:
                raise NotDefined("f′ of an input")
            return self.slope(node.name, layer, unit)
        if kind == "sum":
            first, last = self._bounds(node)
            return sum(self.scalar(node.args[0], bound | {node.name: k}) for k in range(first, last + 1))
        if kind == "neg":
            return -self.scalar(node.args[0], bound)
        if kind in ("T", "sumvec"):
            raise NotDefined("a transpose in index form")
        left, right = (self.scalar(child, bound) for child in node.args)
        if kind in ("div", "hdiv"):
            if right == 0:
                raise NotDefined("division by 0")
            return left / right
        return {"add": left + right, "sub": left - right}.get(kind, left * right)

    def _units(self, indices: tuple[str, ...], bound: dict[str, int]) -> list[int]:
        units = []
        for index in indices:
            if index.isdigit():
                units.append(int(index))
            elif index in bound:
                units.append(bound[index])
            else:
                raise NotDefined(f"the index {index} is neither summed over nor the rule's own")
        return units

    def _entry(self, node: Node, bound: dict[str, int]) -> float:
        indices = node.indices or ("i",)  # net^l beside f′(net^l_i): the rule's own unit
        units = self._units(indices, bound)
        layer = [self.layer_of(node.layer)] if node.layer is not None else []
        if len(units) != (2 if node.name == "W" else 1):
            raise NotDefined(f"{node.name} with {len(units)} indices")
        try:
            return self.point.values.lookup(node.name, (*layer, *units))
        except KeyError as error:
            raise NotDefined(f"no {error}") from None

    def _bounds(self, node: Node) -> tuple[int, int]:
        """A sum's first and last index as written: k = 1 … n^{l+1} by default, the units of the layer k indexes."""
        first = 1 if node.lower is None else node.lower
        if node.upper is None:
            return first, self._range(node.args[0], node.name)
        return first, self.point.sizes[self.layer_of(node.upper)]

    def _range(self, body: Node, index: str) -> int:
        """How far a sum's index runs: the units of the layer it indexes in the body."""
        for node in _walk(body):
            if node.kind in ("q", "slope") and node.indices and index in node.indices:
                position = node.indices.index(index)
                if node.name in ("t", "y"):
                    return self.point.sizes[self.point.last]
                layer = self.layer_of(node.layer)
                return self.point.sizes[layer - 1] if node.name == "W" and position == 1 else self.point.sizes[layer]
        raise NotDefined(f"the sum over {index} has no term indexed by {index}")

    # -- matrix form -------------------------------------------------------------------------

    def array(self, node: Node) -> np.ndarray | float:
        """The value of a matrix-form answer: a float, a column vector or a matrix."""
        kind = node.kind
        if kind in ("num", "size"):
            return self.scalar(node, {})
        if kind == "q" and node.indices is None:
            return self._whole(node)
        if kind == "q":
            return self._entry(node, {})
        if kind == "slope":
            layer = self.layer_of(node.layer)
            if layer == 0:
                raise NotDefined("f′ of the input layer")
            return np.array([[self.slope(node.name, layer, unit)] for unit in range(1, self.point.sizes[layer] + 1)])
        if kind == "neg":
            return -self.array(node.args[0])
        if kind == "T":
            value = self.array(node.args[0])
            return value.T if isinstance(value, np.ndarray) else value
        if kind == "sumvec":
            return float(np.sum(self.array(node.args[0])))
        if kind == "sum":  # Σ_k t_k beside vectors: a number, its index summed out
            return self.scalar(node, {})
        left, right = (self.array(child) for child in node.args)
        return _combine(kind, left, right)

    def _whole(self, node: Node) -> np.ndarray:
        name = node.name
        layer = self.point.last if name in ("t", "y") else self.layer_of(node.layer)
        rows = self.point.sizes[layer]
        columns = self.point.sizes[layer - 1] if name == "W" else 1
        if name == "W" and layer == 0:
            raise NotDefined("no weights into the input layer")
        table = np.empty((rows, columns))
        prefix = () if name in ("t", "y") else (layer,)
        for unit in range(1, rows + 1):
            for column in range(1, columns + 1):
                indices = (*prefix, unit, column) if name == "W" else (*prefix, unit)
                try:
                    table[unit - 1, column - 1] = self.point.values.lookup(name, indices)
                except KeyError as error:
                    raise NotDefined(f"no {error}") from None
        return table


def _combine(kind: str, left, right):
    scalar = not isinstance(left, np.ndarray) or not isinstance(right, np.ndarray)
    if kind in ("add", "sub"):
        if not scalar and left.shape != right.shape:
            raise NotDefined("a sum of things of different shapes")
        return left + right if kind == "add" else left - right
    if kind in ("div", "hdiv"):
        if kind == "div" and not scalar:
            raise NotDefined("a division by a matrix")
        if kind == "hdiv" and not scalar and left.shape != right.shape:
            raise NotDefined("an elementwise division of different shapes")
        if np.any(np.asarray(right) == 0):
            raise NotDefined("division by 0")
        return left / right
    if scalar:
        return left * right
    if kind == "had":
        if left.shape != right.shape:
            raise NotDefined(f"an elementwise product of a {_shape(left)} and a {_shape(right)}")
        return left * right
    if left.shape[1] != right.shape[0]:
        raise NotDefined(f"a product of a {_shape(left)} and a {_shape(right)}")
    return left @ right


def _shape(value: np.ndarray) -> str:
    return f"{value.shape[0]}×{value.shape[1]}"


def _walk(node: Node) -> Iterator[Node]:
    yield node
    for child in node.args:
        yield from _walk(child)


class LayerRuleJudge:
    """Judges answers to one exercise's layer-rule questions."""

    def __init__(self, exercise: Exercise, random_points: int = RANDOM_POINTS):
        self.exercise = exercise
        self.random_points = random_points
        self._references: dict[str, list[np.ndarray]] = {}

    @cached_property
    def rules(self) -> LayerRules:
        """The exercise's derived rules."""
        return derive_rules(self.exercise)

    @cached_property
    def points(self) -> list[Point]:
        """The exercise's point, then seeded random points: every param and input moved."""
        base = {name: float(value) for name, value in (self.exercise.at() or {}).items()}
        if not base:
            raise SymbackpropError(f"{self.exercise.id} has no point to check a layer rule at", key="at")
        generator = random.Random(f"{self.exercise.id}:layer")
        points = [Point(self.exercise, self.rules, None)]
        for _ in range(self.random_points):
            moved = {name: value + generator.uniform(-0.5, 0.5) for name, value in base.items()}
            points.append(Point(self.exercise, self.rules, moved))
        return points

    def values(self, answer: Node, rule: Rule) -> list[np.ndarray] | None:
        """The answer at every point and layer, as the reference shapes them; None where it has no value."""
        index_form = is_index_form(answer)
        found = []
        for point in self.points:
            for layer in layers_of(rule, self.rules.net):
                evaluator = Evaluator(point, layer)
                try:
                    if index_form:
                        found.append(self._table(evaluator, answer, rule, point, layer))
                    else:
                        value = evaluator.array(answer)
                        found.append(np.asarray(value, dtype=float))
                except (NotDefined, OverflowError, ZeroDivisionError):
                    return None
        return found

    def _table(self, evaluator: Evaluator, answer: Node, rule: Rule, point: Point, layer: int) -> np.ndarray:
        rows = point.sizes[layer]
        columns = point.sizes[layer - 1] if rule.kind == "dW" else 1
        table = np.empty((rows, columns))
        for unit in range(1, rows + 1):
            for column in range(1, columns + 1):
                bound = {"i": unit} | ({"j": column} if rule.kind == "dW" else {})
                evaluator.steps = 0  # the bound is per entry: a large layer has many
                table[unit - 1, column - 1] = evaluator.scalar(answer, bound)
        return table

    def references(self, rule: Rule) -> list[np.ndarray]:
        """The rule's instances at every point and layer (worked out once per rule)."""
        if rule.name not in self._references:
            net = self.rules.net
            self._references[rule.name] = [
                point.reference(rule, layer) for point in self.points for layer in layers_of(rule, net)
            ]
        return self._references[rule.name]

    def same(self, answer: Node, rule: Rule) -> bool:
        """Whether the answer equals the rule on the net at every point."""
        got = self.values(answer, rule)
        if got is None:
            return False
        want = self.references(rule)
        return all(
            g.shape == w.shape and np.allclose(g, w, rtol=AGREE, atol=1e-12) for g, w in zip(got, want, strict=True)
        )

    def judge(self, answer: Node, rule: Rule) -> Judgement:
        """Correct, or the mistake whose repair makes it correct."""
        if self.same(answer, rule):
            return Judgement(True)
        for kind, feedback, repaired in repairs(answer, rule, self.rules):
            if self.same(repaired, rule):
                return Judgement(False, kind, feedback)
        return Judgement(False, None, "not the rule: its values on the net differ")


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
    for target in _walk(answer):
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
    for node in _walk(answer):
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
