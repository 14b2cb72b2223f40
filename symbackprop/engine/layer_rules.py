"""Lecture 001's layer rules, derived from ``[layers]``' definition with SymPy's ``Indexed`` and ``Sum``.

A layer is ``net^l_i = Σ_m W^l_{im} x^{l-1}_m + b^l_i`` and ``x^l_i = f(net^l_i)``; the loss is a
sum over the output units. Differentiating these definitions (SymPy writes ∂W^l_{im}/∂W^l_{ij}
as a Kronecker delta, which :func:`collapse` sums out) gives δ for the output and the hidden
layers and ∂L/∂W, ∂L/∂b of each, in index form. The matrix form is read off the index form's
structure (:mod:`symbackprop.engine.layer_matrix`). Every rule is then instantiated for each
concrete unit and weight and evaluated on the net's forward pass, δ from the rules' own
recursion, so that its value can be set beside the scalar engine's.
"""

from __future__ import annotations

from dataclasses import dataclass

import sympy
from sympy import Derivative, Function, Indexed, IndexedBase, KroneckerDelta, Sum

from symbackprop.core.activation import conventions_in_force
from symbackprop.core.functions import ACTIVATIONS
from symbackprop.core.losses import LOSSES
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.layers import Structure, structure, weight_name
from symbackprop.exercise.model import Exercise

# The indices of the lecture: l a layer, L the output layer, i and k units, j a unit of the
# layer before; m is the summation index inside a definition.
ell, L = sympy.symbols("l L", integer=True, positive=True)
i, j, k, m = sympy.symbols("i j k m", integer=True, positive=True)
n = Function("n")  # n(ell): units in layer l
W, X, NET, B, DELTA = (IndexedBase(name) for name in ("W", "x", "net", "b", "delta"))
T, Y = IndexedBase("t"), IndexedBase("y")  # targets and outputs (y_i = x^L_i)
f = Function("f")  # the layer's activation; each layer's own is named beside the rules

SIGNS = {"dL/dnet": 1, "-dL/dnet": -1}
# A key naming a layer rule, in [questions] (ask = "rule:delta_hidden") and in [stated].
RULE_PREFIX = "rule:"


def rule_key(key: str) -> str | None:
    """The rule a key names (``rule:delta_hidden`` → delta_hidden), None for a quantity key.

    >>> rule_key(" rule: dW_output"), rule_key("dL/dW1_11")
    ('dW_output', None)
    """
    text = key.strip()
    return text.removeprefix(RULE_PREFIX).strip() if text.startswith(RULE_PREFIX) else None


CONVENTION_TEXT = {"dL/dnet": "δ = ∂L/∂net", "-dL/dnet": "δ = −∂L/∂net (lecture 001)"}


@dataclass(frozen=True)
class Rule:
    """One layer rule: what it gives (δ, ∂L/∂W or ∂L/∂b of the layer ``layer``), derived in index form."""

    name: str
    kind: str  # "delta", "dW" or "db"
    layer: sympy.Expr  # L for the output layer, l for a hidden one
    expr: sympy.Expr
    note: str = ""
    instantiated: bool = True  # False: a special case shown for the lecture, not instantiated


@dataclass(frozen=True)
class Instance:
    """A rule put to one unit or weight of the net: its quantity key, value and the scalar engine's."""

    quantity: str
    rule: str
    value: float
    engine: float


@dataclass(frozen=True)
class LayerRules:
    """The rules of a net with ``[layers]``, under one sign convention, with each layer's activation."""

    net: Structure
    convention: str
    rules: tuple[Rule, ...]
    derivatives: tuple[tuple[str, sympy.Expr], ...]  # (activation, f′ at the symbol net), per distinct one

    @property
    def sign(self) -> int:
        """+1 when δ = ∂L/∂net, −1 for lecture 001's δ = −∂L/∂net."""
        return SIGNS[self.convention]

    def rule(self, name: str) -> Rule:
        """The rule called ``name``; another name is an error that lists this net's rules."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise SymbackpropError(f"no layer rule {name!r} (this net's: {', '.join(rule.name for rule in self.rules)})")


def collapse(expr: sympy.Expr) -> sympy.Expr:
    """Sum out Kronecker deltas, and take factors a sum's index does not touch out of it.

    >>> collapse(Sum(KroneckerDelta(i, k) * T[k], (k, 1, n(L))))
    t[i]
    """
    if isinstance(expr, Sum):
        (index, low, high), body = expr.limits[0], collapse(expr.function)
        return sympy.Add(*[_sum_term(term, index, low, high) for term in sympy.Add.make_args(sympy.expand(body))])
    if expr.args and not isinstance(expr, (Indexed, Derivative)):
        return expr.func(*[collapse(arg) for arg in expr.args])
    return expr


def _sum_term(term: sympy.Expr, index: sympy.Symbol, low: sympy.Expr, high: sympy.Expr) -> sympy.Expr:
    factors = sympy.Mul.make_args(term)
    for factor in factors:
        if isinstance(factor, KroneckerDelta) and index in factor.free_symbols:
            # Every index the rules use lies in its range, so the delta picks the one term.
            other = factor.args[0] if factor.args[1] == index else factor.args[1]
            return collapse(term.subs(factor, 1).subs(index, other))
    outside = [factor for factor in factors if index not in factor.free_symbols]
    inside = [factor for factor in factors if index in factor.free_symbols]
    if not inside:
        return sympy.Mul(*outside) * (high - low + 1)
    return sympy.Mul(*outside) * Sum(sympy.Mul(*inside), (index, low, high))


def net_definition(layer: sympy.Expr, unit: sympy.Symbol, bias: bool, inputs=None) -> sympy.Expr:
    """``net^layer_unit = Σ_m W^layer_{unit m} x^{layer-1}_m (+ b^layer_unit)``; ``inputs(m)`` replaces x."""
    source = inputs(m) if inputs is not None else X[layer - 1, m]
    total = Sum(W[layer, unit, m] * source, (m, 1, n(layer - 1)))
    return total + B[layer, unit] if bias else total


def _output_loss(loss: str, softmax: bool) -> tuple[sympy.Expr, sympy.Expr]:
    """The loss as a sum over the output units k, and y_k written through net^L."""
    output = sympy.exp(NET[L, k]) / Sum(sympy.exp(NET[L, m]), (m, 1, n(L))) if softmax else f(NET[L, k])
    term = LOSSES[loss]([T[k]], [output])
    if loss == "mse":
        term = term / n(L)  # the loss of one unit divides by 1: the mean is over n^L units
    return sympy.expand_log(Sum(term, (k, 1, n(L))), force=True), output


def output_delta(loss: str, softmax: bool, sign: int) -> sympy.Expr:
    """δ^L_i = sign · ∂L/∂net^L_i, differentiated from the loss's definition."""
    total, output = _output_loss(loss, softmax)
    gradient = collapse(total.diff(NET[L, i]))
    if softmax:
        gradient = gradient.subs(output.subs(k, i), Y[i])
    else:
        # y_i for f(net^L_i), but f′(net^L_i) stays: a placeholder keeps it out of the substitution.
        slope, keep = Derivative(f(NET[L, i]), NET[L, i]), sympy.Dummy("slope")
        gradient = sympy.factor(gradient.subs(slope, keep).subs(f(NET[L, i]), Y[i]).subs(keep, slope))
    return sign * gradient


def downstream_local(bias: bool) -> sympy.Expr:
    """∂net^{l+1}_k/∂net^l_i, from net^{l+1}_k's definition with x^l = f(net^l): W^{l+1}_{ki} f′(net^l_i)."""
    downstream = net_definition(ell + 1, k, bias, inputs=lambda unit: f(NET[ell, unit]))
    return collapse(downstream.diff(NET[ell, i]))


def weight_local(layer: sympy.Expr, bias: bool) -> sympy.Expr:
    """∂net^layer_i/∂W^layer_{ij} from net's definition: x^{layer-1}_j."""
    return collapse(net_definition(layer, i, bias).diff(W[layer, i, j]))


def hidden_delta(bias: bool, sign: int) -> sympy.Expr:
    """δ^l_i through the units k of layer l + 1 that net^l_i feeds (case 2 of lecture 001)."""
    local = downstream_local(bias)
    # ∂L/∂net^l_i = Σ_k ∂L/∂net^{l+1}_k ∂net^{l+1}_k/∂net^l_i, and ∂L/∂net^{l+1}_k = sign·δ^{l+1}_k.
    gradient = Sum(local * sign * DELTA[ell + 1, k], (k, 1, n(ell + 1)))
    return collapse(sign * gradient)


def weight_gradient(layer: sympy.Expr, bias: bool, sign: int) -> sympy.Expr:
    """∂L/∂W^layer_{ij} = ∂L/∂net^layer_i · ∂net^layer_i/∂W^layer_{ij}, ∂L/∂net = sign·δ."""
    return sign * DELTA[layer, i] * weight_local(layer, bias)


def bias_gradient(layer: sympy.Expr, sign: int) -> sympy.Expr:
    """∂L/∂b^layer_i = ∂L/∂net^layer_i · ∂net^layer_i/∂b^layer_i."""
    return sign * DELTA[layer, i] * collapse(net_definition(layer, i, True).diff(B[layer, i]))


def derive_rules(exercise: Exercise) -> LayerRules:
    """Every layer rule of an exercise with ``[layers]``, under its ``delta_sign`` convention."""
    if not exercise.layers:
        raise SymbackpropError(
            "the layer rules need a [layers] net; this exercise gives [graph]", source=exercise.path, key="layers"
        )
    if exercise.data:
        raise SymbackpropError(
            "the layer rules are one sample's; this exercise sums its loss over [data]",
            source=exercise.path,
            key="data",
        )
    net = structure(exercise.layers, source=exercise.path)
    softmax = net.activations[-1] == "softmax"
    if softmax and net.loss != "cce":
        raise SymbackpropError(
            f"the layer rules take a softmax output with cce only, not {net.loss!r}",
            source=exercise.path,
            key="layers.loss",
        )
    convention = exercise.conventions.delta_sign
    sign = SIGNS[convention]
    rules = [Rule("delta_output", "delta", L, output_delta(net.loss, softmax, sign), _output_note(net, softmax))]
    if softmax:
        one_hot = rules[0].expr.subs(Sum(T[k], (k, 1, n(L))), 1)  # delta_output, just derived
        rules.append(Rule("delta_output_sum_t_1", "delta", L, one_hot, "only when Σ_k t_k = 1", instantiated=False))
    rules.append(Rule("dW_output", "dW", L, weight_gradient(L, net.bias, sign)))
    if net.bias:
        rules.append(Rule("db_output", "db", L, bias_gradient(L, sign)))
    if len(net.sizes) > 2:
        rules.append(Rule("delta_hidden", "delta", ell, hidden_delta(net.bias, sign), "l = 1 … L − 1"))
        rules.append(Rule("dW_hidden", "dW", ell, weight_gradient(ell, net.bias, sign)))
        if net.bias:
            rules.append(Rule("db_hidden", "db", ell, bias_gradient(ell, sign)))
    with conventions_in_force(exercise.conventions):
        derivatives = tuple((name, activation_derivative(name)) for name in dict.fromkeys(net.activations))
    return LayerRules(net, convention, tuple(rules), derivatives)


def _output_note(net: Structure, softmax: bool) -> str:
    if softmax:
        return "y = softmax(net^L); with Σ_k t_k = 1 (one-hot or a distribution) this is p − t"
    return f"loss {net.loss}"


NET_SYMBOL = sympy.Symbol("net")


def activation_derivative(name: str) -> sympy.Expr:
    """f′(net) of an activation of ``[layers]`` (softmax's is not elementwise: it has none here)."""
    if name == "identity":
        return sympy.Integer(1)
    if name == "softmax":
        return sympy.nan
    return sympy.diff(ACTIVATIONS[name](NET_SYMBOL), NET_SYMBOL)


# ---------------------------------------------------------------------------------------------
# Instances: each rule at each concrete unit and weight.
# ---------------------------------------------------------------------------------------------


def layers_of(rule: Rule, net: Structure) -> list[int]:
    """The concrete layers a rule is for: L for the output rules, 1 … L − 1 for the hidden ones."""
    last = len(net.sizes) - 1
    return [last] if rule.layer == L else list(range(1, last))


def instantiate(rule: Rule, net: Structure, layer: int, unit: int, column: int | None = None) -> sympy.Expr:
    """The rule at one layer, unit i (and column j): every sum written out, every index a number."""
    values: dict = {rule.layer: layer, i: unit}
    if column is not None:
        values[j] = column
    expr = rule.expr.subs(values)
    sizes = net.sizes
    expr = expr.replace(n, lambda index: sympy.Integer(sizes[int(index)]))
    return expr.doit()


class PointValues:
    """The value of each quantity a rule instance names, at a derivation's point.

    W, b, x, net, t and y come from the forward pass; δ from the rules' own instances, as
    :func:`instances` computes them, from the output layer back. Each instance's value is kept
    (:meth:`rule_value`): the layer-rule judge reads them instead of working them out again.
    """

    def __init__(self, exercise: Exercise, rules: LayerRules, derivation):
        self.exercise, self.rules = exercise, rules
        self.last = len(rules.net.sizes) - 1
        self.wide = max(rules.net.sizes) > 9
        self.known = derivation.values | {name: float(value) for name, value in derivation.point.items()}
        self.deltas: dict[tuple[int, int], float] = {}
        self.rule_values: dict[tuple[str, int, int, int | None], float] = {}  # (rule, layer, unit, column)
        self.activation = dict(zip(range(1, self.last + 1), rules.net.activations, strict=True))

    def __call__(self, item: sympy.Expr) -> float:
        """The value of one instantiated quantity: W^2_{11}, δ^2_1, f′(net^1_1)."""
        if isinstance(item, Derivative):
            layer, unit = (int(index) for index in item.expr.args[0].indices)
            return self.slope(layer, unit)
        return self.lookup(str(item.base), tuple(int(index) for index in item.indices))

    def slope(self, layer: int, unit: int) -> float:
        """f′(net^layer_unit) with the layer's own activation."""
        derivative = dict(self.rules.derivatives)[self.activation[layer]]
        with conventions_in_force(self.exercise.conventions):
            return float(derivative.subs(NET_SYMBOL, self.known[f"net{layer}_{unit}"]))

    def lookup(self, base: str, indices: tuple[int, ...]) -> float:
        """W^l_{ij} as ("W", (l, i, j)), δ^l_i as ("delta", (l, i)), t_i as ("t", (i,)); KeyError if none."""
        known = self.known
        if base == "delta":
            return self.deltas[(indices[0], indices[1])]
        if base == "W":
            return known[weight_name(indices[0], indices[1], indices[2], self.wide)]
        if base in ("y", "t"):
            return known[f"x{self.last}_{indices[0]}" if base == "y" else f"t_{indices[0]}"]
        return known[f"{base}{indices[0]}_{indices[1]}"]

    def rule_value(self, rule: Rule, layer: int, unit: int, column: int | None = None) -> float:
        """The rule's instance at one layer, unit i (and column j for ∂L/∂W), worked out once."""
        key = (rule.name, layer, unit, column)
        if key not in self.rule_values:
            self.rule_values[key] = self.evaluate(instantiate(rule, self.rules.net, layer, unit, column))
        return self.rule_values[key]

    def evaluate(self, expr: sympy.Expr) -> float:
        """An instantiated rule's value."""
        # f′(net^l_i) first: its argument net^l_i is no factor of its own.
        expr = expr.xreplace({item: sympy.Float(self(item)) for item in expr.atoms(Derivative)})
        expr = expr.xreplace({item: sympy.Float(self(item)) for item in expr.atoms(Indexed)})
        return float(expr)


def instances(exercise: Exercise, rules: LayerRules, derivation, values: PointValues | None = None) -> list[Instance]:
    """Every instantiated rule's value on the derivation's forward pass, beside the scalar engine's.

    δ^{l+1} in a hidden rule is the rules' own value for layer l + 1, not the engine's: the
    recursion is checked as a whole. ``values`` (made here when not given) keeps the δs found.
    """
    values = values or PointValues(exercise, rules, derivation)
    net, last, wide = rules.net, values.last, values.wide
    found: list[Instance] = []
    loss = exercise.loss
    prefix = "-" if rules.sign < 0 else ""
    ordered = sorted(
        (rule for rule in rules.rules if rule.instantiated), key=lambda rule: (rule.layer != L, rule.kind != "delta")
    )
    for layer in range(last, 0, -1):
        for rule in ordered:
            if layer not in layers_of(rule, net):
                continue
            for unit in range(1, net.sizes[layer] + 1):
                columns = range(1, net.sizes[layer - 1] + 1) if rule.kind == "dW" else [None]
                for column in columns:
                    value = values.rule_value(rule, layer, unit, column)
                    if rule.kind == "delta":
                        values.deltas[(layer, unit)] = value
                        key, name, negated = f"{prefix}d{loss}/dnet{layer}_{unit}", f"net{layer}_{unit}", rules.sign < 0
                    elif rule.kind == "dW":
                        name = weight_name(layer, unit, column or 0, wide)
                        key, negated = f"d{loss}/d{name}", False
                    else:
                        name = f"b{layer}_{unit}"
                        key, negated = f"d{loss}/d{name}", False
                    engine = derivation.adjoints[name]
                    found.append(Instance(key, rule.name, value, -engine if negated else engine))
    return found


def rules_at(exercise: Exercise, derivation) -> tuple[LayerRules, list[Instance] | None]:
    """The exercise's layer rules and, when the derivation has a point, their instances (else None)."""
    from symbackprop.engine.derivation import Derivation

    rules = derive_rules(exercise)
    return rules, instances(exercise, rules, derivation) if isinstance(derivation, Derivation) else None
