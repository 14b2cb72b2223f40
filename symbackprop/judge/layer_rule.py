"""Is a written layer rule the derived one? Decided on the concrete net, at several points, and diagnosed.

An answer (a tree from :mod:`symbackprop.parse.layer_rule`) is put to every concrete layer the
rule is for: in index form unit by unit (``i``, and ``j`` for ∂L/∂W), in matrix form as a
whole. Its values are compared with the rule's instances (:mod:`symbackprop.engine.layer_rules`)
at the exercise's point and at seeded random points. A wrong answer is diagnosed by repairing
it: if the answer with one thing changed (W's indices swapped or transposed, one layer index
moved, f′ moved to another layer or put in, the sign flipped) is right, that was the mistake
(:mod:`symbackprop.judge.layer_mistakes`).
"""

from __future__ import annotations

import dataclasses
import random
from dataclasses import dataclass
from functools import cached_property
from itertools import pairwise

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
    layers_of,
)
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.layers import structure
from symbackprop.exercise.model import Exercise, from_toml
from symbackprop.judge.layer_mistakes import repairs
from symbackprop.parse.layer_rule import OWN_SLOPE, Layer, Node, is_index_form, walk

RANDOM_POINTS = 2
EXTRA_WIDTHS = (3, 2)  # the hidden layers the deeper net adds: widths unlike each other, so shapes tell layers apart
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


def deeper_net(exercise: Exercise) -> Exercise:
    """The exercise's net with two more hidden layers (3 and 2 units) before its output layer, seeded weights.

    A general rule holds on any net: on the exercise's own, l + 1 may be L and layer 2, so
    ``W^{2}`` or ``W^L`` written for ``W^{l+1}`` would pass there; on this one they do not. The
    inputs, targets, activations (the new layers take the last hidden layer's, or the sigmoid
    when there is none), loss, bias and conventions are the exercise's.

    >>> from symbackprop.exercise.model import from_toml
    >>> table = {"layers": {"sizes": [2, 1], "activation": "tanh", "weights": [[[0.5, -1]]]}}
    >>> net = deeper_net(from_toml(table | {"at": {"x0_1": 1, "x0_2": 2, "t_1": 0}}, source="f", default_id="e"))
    >>> net.layers["sizes"], net.layers["activation"]
    ([2, 3, 2, 1], ['sigmoid', 'sigmoid', 'tanh'])
    """
    shape = structure(exercise.layers, source=exercise.path)
    sizes = [*shape.sizes[:-1], *EXTRA_WIDTHS, shape.sizes[-1]]
    hidden = shape.activations[-2] if len(shape.activations) > 1 else "sigmoid"
    activations = [*shape.activations[:-1], *[hidden] * len(EXTRA_WIDTHS), shape.activations[-1]]
    generator = random.Random(f"{exercise.id}:deeper")

    def number() -> float:
        return round(generator.choice((-1, 1)) * generator.uniform(0.1, 1.0), 2)  # never 0: no unit is cut off

    table: dict = {"sizes": sizes, "activation": activations, "bias": shape.bias, "loss": shape.loss}
    table["weights"] = [[[number() for _ in range(before)] for _ in range(after)] for before, after in pairwise(sizes)]
    if shape.bias:
        table["biases"] = [[number() for _ in range(units)] for units in sizes[1:]]
    point = exercise.point or {}
    given = {name: float(point[name]) for name in exercise.inputs if name in point}
    deeper = from_toml({"layers": table, "at": given}, source=exercise.path or exercise.id, default_id=exercise.id)
    return dataclasses.replace(deeper, id=f"{exercise.id}:deeper", conventions=exercise.conventions)


class Point:
    """The net's numbers at one point, with the rules' δ at every unit."""

    def __init__(self, exercise: Exercise, rules: LayerRules, at: dict | None):
        self.exercise, self.rules = exercise, rules
        derivation = derive(exercise, at=at)
        self.values = PointValues(exercise, rules, derivation)
        instances(exercise, rules, derivation, self.values)  # fills values: every δ, and each instance's value
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
        rule = self.rules.rule(rule.name)  # as derived on this net
        rows = self.sizes[layer]
        columns = self.sizes[layer - 1] if rule.kind == "dW" else 1
        table = np.empty((rows, columns))
        for unit in range(1, rows + 1):
            for column in range(1, columns + 1):
                # As instances() found it; a rule it skips (Σ_k t_k = 1's) is worked out here.
                table[unit - 1, column - 1] = self.values.rule_value(
                    rule, layer, unit, column if rule.kind == "dW" else None
                )
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
        for node in walk(body):
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
        """On the exercise's net and a deeper one (:func:`deeper_net`): each net's point, then seeded random ones."""
        if not self.exercise.at():
            raise SymbackpropError(f"{self.exercise.id} has no point to check a layer rule at", key="at")
        deeper = deeper_net(self.exercise)
        return [*self._points_on(self.exercise, self.rules), *self._points_on(deeper, derive_rules(deeper))]

    def _points_on(self, exercise: Exercise, rules: LayerRules) -> list[Point]:
        """The net's point, then seeded random points: every param and input moved."""
        base = {name: float(value) for name, value in (exercise.at() or {}).items()}
        generator = random.Random(f"{exercise.id}:layer")
        points = [Point(exercise, rules, None)]
        for _ in range(self.random_points):
            moved = {name: value + generator.uniform(-0.5, 0.5) for name, value in base.items()}
            points.append(Point(exercise, rules, moved))
        return points

    def values(self, answer: Node, rule: Rule) -> list[np.ndarray] | None:
        """The answer at every point and layer, as the reference shapes them; None where it has no value."""
        index_form = is_index_form(answer)
        found = []
        for point in self.points:
            for layer in layers_of(rule, point.net):
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
            self._references[rule.name] = [
                point.reference(rule, layer) for point in self.points for layer in layers_of(rule, point.net)
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
