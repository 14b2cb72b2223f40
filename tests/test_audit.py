"""The audit: every stated value of every exercise has a pinned verdict, each one justified here.

The justification does not use the engine: an independent reference below expands the
equations with plain SymPy (``sympy.diff`` of the substituted expressions), runs gradient
descent with it, and checks every stated number against it at the precision it is written
with. The verdicts that are not ``match`` are then worked by hand, from the lecture's own
numbers, one test each.
"""

from __future__ import annotations

import json
import math
import random
import re
import tomllib

import pytest
import sympy
from conftest import EXERCISES
from reference import _DEFINITIONS, sigmoid
from sympy.parsing.sympy_parser import (
    convert_xor,
    implicit_multiplication_application,
    parse_expr,
    standard_transformations,
)
from typer.testing import CliRunner

from symbackprop.auditing.checker import audit
from symbackprop.cli import app
from symbackprop.exercise.model import from_equations, load

_HEAVISIDE = {"Heaviside": lambda x, at_zero=0.5: 1.0 if x > 0 else 0.0 if x < 0 else at_zero}
# Lecture 000's step, written here from its slide: 1 for x ≥ 0, β below.
DEFINITIONS = {**_DEFINITIONS, "step": lambda x, beta=0: sympy.Piecewise((1, x >= 0), (beta, True))}


# ---- the pinned verdicts -------------------------------------------------------------------
# Deck 004's network at its point, by hand, for the diagnoses that quote its values.
_OUT_H1 = sigmoid(0.05 * 0.15 + 0.1 * 0.2)
_OUT_H2 = sigmoid(0.05 * 0.25 + 0.1 * 0.3)
_OUT_O1 = sigmoid(_OUT_H1 * 0.35 + _OUT_H2 * 0.4)
_OUT_O2 = sigmoid(_OUT_H1 * 0.45 + _OUT_H2 * 0.5)

# (exercise, key, index of the form in the file) → (verdict, a phrase the diagnosis contains).
# Every other stated form of every exercise must be a "match".
NOT_MATCH = {
    # 000: piecewise definitions have no plain-syntax form
    ("activation-gradients", "a_step", 0): ("not_checkable", "cannot read"),
    ("activation-gradients", "da_step/dx", 0): ("not_checkable", "cannot read"),
    ("activation-gradients", "da_relu/dx", 0): ("not_checkable", "cannot read"),
    ("activation-gradients", "a_leaky", 0): ("not_checkable", "cannot read"),
    ("activation-gradients", "da_leaky/dx", 0): ("not_checkable", "cannot read"),
    # 000: the generic a(·) and a'(Z) of the first version of the network
    ("three-layer-scalar-generic", "y", 0): ("not_checkable", "'a'"),
    ("three-layer-scalar-generic", "dL/dw3", 1): ("not_checkable", "cannot read"),
    ("three-layer-scalar-generic", "dL/dw1", 1): ("not_checkable", "cannot read"),
    # 003: the "role of activation" table's s₁ column, which no linear layer of (x₁, x₂) gives
    ("activation-role-table", "s1", 0): ("mismatch", "no linear layer of x1, x2 gives this column"),
    # 000: the ReLU network's ∂L/∂w_b² and ∂L/∂w² carry a spurious h², and so do the updates
    ("three-layer-scalar-relu", "dL/dwb2", 0): ("mismatch", "a spurious factor h2"),
    ("three-layer-scalar-relu", "dL/dw2", 0): ("mismatch", "a spurious factor h2"),
    ("three-layer-scalar-relu", "wb2@2", 0): ("mismatch", "a spurious factor h2"),
    ("three-layer-scalar-relu", "w2@2", 0): ("mismatch", "a spurious factor h2"),
    ("three-layer-scalar-relu", "wb2@2", 1): ("mismatch", "a spurious factor h2"),
    ("three-layer-scalar-relu", "w2@2", 1): ("mismatch", "a spurious factor h2"),
    ("three-layer-scalar-relu", "h2@2", 0): ("mismatch", "carried forward"),
    ("three-layer-scalar-relu", "y@2", 0): ("mismatch", "carried forward"),
    # 001: the 2-2-1 network's numbers are computed from rounded intermediates
    ("bp-2-2-1-sigmoid", "-dL/dnet2_1", 2): ("rounded_early", ""),
    # the δ¹ expressions put in the δ² = −0.0406 that is itself rounded early: labelled the same
    ("bp-2-2-1-sigmoid", "-dL/dnet1_1", 1): ("rounded_early", "rounded -dL/dnet2_1 = -0.0406"),
    ("bp-2-2-1-sigmoid", "-dL/dnet1_2", 0): ("rounded_early", "rounded -dL/dnet2_1 = -0.0406"),
    ("bp-2-2-1-sigmoid", "dL/dW1_11", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "dL/dW1_12", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "dL/dW1_21", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "dL/dW1_22", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "dL/dW2_11", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "dL/dW2_12", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W1_11@1", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W1_12@1", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W1_21@1", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W1_22@1", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W2_11@1", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W2_11@1", 1): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W2_12@1", 0): ("rounded_early", ""),
    ("bp-2-2-1-sigmoid", "W2_12@1", 1): ("rounded_early", ""),
    # 002: the squared error's derivative without its factor 2
    ("linear-perceptron-two-samples", "dL/dw1", 0): ("mismatch", "off by a factor of ½"),
    ("linear-perceptron-two-samples", "dL/dw1", 1): ("mismatch", "off by a factor of ½"),
    ("sigmoid-perceptron-bias", "dL/db", 1): ("mismatch", "off by a factor of ½"),
    ("sigmoid-perceptron-bias", "dL/dw1", 1): ("mismatch", "off by a factor of ½"),
    # 003
    # E = (y_t − y)²/2 with y = σ(1): the residual is 1 − σ(1), not 0.343
    ("one-hidden-unit-training", "E", 0): ("mismatch", f"writes 0.343 where y_t - y = {1 - sigmoid(1.0):.6g} belongs"),
    ("one-hidden-unit-training", "s2@1", 0): ("rounded_early", ""),
    ("one-hidden-unit-training", "y@1", 0): ("rounded_early", ""),
    # −(1 − 0.747)·… put in the y = 0.747 that is itself rounded early
    ("one-hidden-unit-training", "dE/dw2@1", 0): ("rounded_early", "rounded y@1 = 0.747"),
    ("one-hidden-unit-training", "dE/dw1@1", 0): ("rounded_early", "rounded y@1 = 0.747"),
    # the gradient is right; the sum 1.0197 + 0.0186 is not
    ("one-hidden-unit-training", "w2@2", 1): (
        "mismatch",
        "an arithmetic slip: 1.0197 + 0.1 * 0.186 is 1.0383, not 1.0384",
    ),
    # the last expansion of E writes x_1 for the input x_t
    ("two-branch-sigmoid", "E", 7): ("mismatch", "writes x_1, which is not a name of two-branch-sigmoid; read as x_t"),
    ("inverse-square-exp", "dy/dw", 2): ("mismatch", "e⁰ taken as e"),
    # −e for −2: the −2e of e⁰ read as e, then a 2 dropped (not "half of −2")
    ("inverse-square-exp", "dy/dw", 3): (
        "mismatch",
        f"e⁰ taken as e, which gives {-2 * math.e:.6g}; then a factor 2 dropped",
    ),
    ("logistic-regression-recap", "E", 1): ("mismatch", "the sign is flipped"),
    ("relu-regression", "dh/ds1", 0): ("not_checkable", "cannot read"),
    # 001's general rules: slides print x_i^{l-1} where its own derivation gives x_j^{l-1}
    ("lecture001-general-rules", "rule:dW_output", 1): ("mismatch", "the wrong unit index on x: _j, not _i"),
    ("lecture001-general-rules", "rule:dW_hidden", 1): ("mismatch", "the wrong unit index on x: _j, not _i"),
    # 002's update rules: no 2 from (ỹ − y)², and γ/n against a loss defined as a sum (2 · n = 4)
    ("linear-perceptron-update-rules", "w1@1", 0): ("mismatch", "factor of ½"),
    ("linear-perceptron-update-rules", "w2@1", 0): ("mismatch", "factor of ½"),
    ("linear-perceptron-mean-update", "w1@1", 0): ("mismatch", "divides by n = 2 (γ/n), and without the 2 of"),
    ("linear-perceptron-mean-update", "w2@1", 0): ("mismatch", "divides by n = 2 (γ/n), and without the 2 of"),
    # 004
    ("bp-2-2-2-sigmoid-no-bias", "out_o1", 2): ("mismatch", f"this is dE_total/dout_o1 = {_OUT_O1 - 0.01:.6g}"),
    ("bp-2-2-2-sigmoid-no-bias", "net_o2", 0): ("mismatch", f"writes 0.5069 (out_h1) where out_h2 = {_OUT_H2:.6g}"),
    ("bp-2-2-2-sigmoid-no-bias", "dnet_o1/dw5", 0): ("mismatch", "net_o1 itself"),
    ("bp-2-2-2-sigmoid-no-bias", "dout_o2/dnet_o2", 1): ("mismatch", f"writes 0.618 where out_o2 = {_OUT_O2:.6g}"),
    ("bp-2-2-2-sigmoid-no-bias", "dnet_o2/dw7", 0): ("mismatch", "out_o1 in place of out_h1"),
    # "①×②×②" for ①×②×③, the rule w := w + ∂E/∂w5, and target₁ = 0.0 beside the 0.01 it uses
    ("bp-2-2-2-sigmoid-no-bias", "dE_total/dw5", 1): ("mismatch", "dout_o1/dnet_o1 is written twice"),
    ("bp-2-2-2-sigmoid-no-bias", "w5@1", 0): ("mismatch", "the update adds the gradient and leaves out"),
    ("bp-2-2-2-sigmoid-no-bias", "target_o1", 0): ("mismatch", "target_o1 is 0.01 in the example"),
    ("bp-2-2-2-sigmoid-no-bias", "dE_total/dw7", 2): ("rounded_early", ""),
    ("bp-2-2-2-sigmoid-no-bias", "w7@1", 0): ("rounded_early", ""),
    ("bp-2-2-2-sigmoid-no-bias", "dE_total/dw8", 2): ("rounded_early", ""),
    ("bp-2-2-2-sigmoid-no-bias", "w8@1", 0): ("rounded_early", ""),
    ("bp-2-2-2-sigmoid-no-bias", "dE_total/dw1", 2): ("rounded_early", ""),
    ("bp-2-2-2-sigmoid-no-bias", "w1@1", 0): ("rounded_early", ""),
}


def exercise_files():
    return sorted(EXERCISES.glob("*.toml"))


def stated_forms(data: dict) -> list[tuple[str, int, str]]:
    found = []
    for key, value in data.get("stated", {}).items():
        for index, text in enumerate(value if isinstance(value, list) else [value]):
            found.append((key, index, text))
    return found


@pytest.fixture(scope="module")
def verdicts():
    """The audit of every exercise, keyed (exercise, key, index)."""
    found = {}
    for path in exercise_files():
        counters: dict[str, int] = {}
        for entry in audit(load(path)):
            index = counters.get(entry.key, 0)
            counters[entry.key] = index + 1
            found[entry.exercise, entry.key, index] = entry
    return found


@pytest.mark.parametrize("path", exercise_files(), ids=lambda p: p.stem)
def test_every_stated_form_has_its_pinned_verdict(path, verdicts):
    data = tomllib.loads(path.read_text())
    for key, index, text in stated_forms(data):
        entry = verdicts[path.stem, key, index]
        assert entry.stated == text
        verdict, phrase = NOT_MATCH.get((path.stem, key, index), ("match", ""))
        assert entry.verdict == verdict, (key, text, entry)
        assert phrase in entry.diagnosis, (key, text, entry.diagnosis)


def test_every_pinned_exception_names_a_real_stated_form():
    forms = set()
    for path in exercise_files():
        forms |= {(path.stem, key, index) for key, index, _ in stated_forms(tomllib.loads(path.read_text()))}
    assert set(NOT_MATCH) <= forms


# ---- the independent reference -------------------------------------------------------------


class Reference:
    """Plain SymPy over an exercise file's own text: closed forms, partials, gradient descent."""

    def __init__(self, path):
        self.data = tomllib.loads(path.read_text())
        ex = load(path)  # only for the [layers] expansion, whose names test_layers pins
        self.texts = dict(ex.texts)
        self.loss, self.params = ex.loss, list(ex.params)
        self.point = {n: float(v) for n, v in (ex.point or {}).items()}
        self.lr = self.data.get("train", {}).get("lr")
        names = set(re.findall(r"[A-Za-z_]\w*", " ".join(self.texts.values()))) - set(DEFINITIONS)
        self.symbols = {n: sympy.Symbol(n, real=True) for n in names | set(self.texts)}
        self.defs = {
            n: sympy.sympify(t.replace("^", "**"), locals={**DEFINITIONS, **self.symbols})
            for n, t in self.texts.items()
        }
        closed: dict = {}
        for node, expr in self.defs.items():
            closed[self.symbols[node]] = expr.xreplace(closed)
        self.closed = closed

    def descendants(self, name: str) -> set[str]:
        found = {name}
        for node, expr in self.defs.items():
            if {s.name for s in expr.free_symbols} & found:
                found.add(node)
        return found

    def partial(self, top: str, bottom: str) -> sympy.Expr:
        """∂top/∂bottom: an edge's partial, else the total derivative through the graph, in leaves."""
        if bottom in {s.name for s in self.defs[top].free_symbols}:
            expanded = self.defs[top]
        else:
            keep = self.descendants(bottom)
            expanded_nodes: dict = {}
            for node, expr in self.defs.items():
                if node in keep and node != bottom:
                    expanded_nodes[self.symbols[node]] = expr.xreplace(expanded_nodes)
            expanded = expanded_nodes.get(self.symbols[top], self.symbols[top])
        return sympy.diff(expanded, self.symbols[bottom]).xreplace(self.closed)

    def value(self, expr: sympy.Expr, point: dict[str, float]) -> float:
        expr = expr.xreplace(self.closed)
        names = sorted(s.name for s in expr.free_symbols)
        function = sympy.lambdify([self.symbols[n] for n in names], expr, modules=["math", _HEAVISIDE])
        return float(function(*[point[n] for n in names]))

    def run(self, steps: int) -> list[dict[str, float]]:
        """The points of plain gradient descent: w ← w − η·∂L/∂w, with ∂L/∂w from sympy.diff."""
        points = [dict(self.point)]
        grads = {p: sympy.diff(self.closed[self.symbols[self.loss]], self.symbols[p]) for p in self.params}
        for _ in range(steps):
            here = points[-1]
            points.append(here | {p: here[p] - self.lr * self.value(g, here) for p, g in grads.items()})
        return points

    def quantity(self, key: str) -> tuple[sympy.Expr, int]:
        """What a stated key names, as an expression in leaves, and its step."""
        key, _, step = key.partition("@")
        negated = key.startswith("-")
        match = re.fullmatch(r"-?d(\w+)/d(\w+)", key.strip())
        if match:
            expr = self.partial(*match.groups())
            return (-expr if negated else expr), int(step or 0)
        return self.closed.get(self.symbols[key], self.symbols[key]), int(step or 0)


def written_precision(text: str) -> float | None:
    """Half a unit in the last digit of a plain decimal number; None for anything else."""
    match = re.fullmatch(r"\s*-?(\d+)(?:\.(\d+))?\s*", text)
    if not match:
        return None
    return 0.5 * 10.0 ** -len(match.group(2)) if match.group(2) else 1e-12


def single_sample_files():
    """Exercises without [data]: no lecture states numbers for a data set."""
    return [path for path in exercise_files() if "data" not in tomllib.loads(path.read_text())]


@pytest.mark.parametrize("path", single_sample_files(), ids=lambda p: p.stem)
def test_a_plain_number_matches_exactly_when_the_reference_agrees_to_its_written_precision(path, verdicts):
    ref = Reference(path)
    data = ref.data
    steps = max([0] + [int(k.partition("@")[2] or 0) for k in data.get("stated", {})])
    points = ref.run(steps) if ref.lr else [ref.point]
    checked = 0
    for key, index, text in stated_forms(data):
        half_unit = written_precision(text)
        if half_unit is None:
            continue
        expr, step = ref.quantity(key)
        exact = ref.value(expr, points[step])
        agrees = abs(float(text) - exact) <= half_unit + 1e-12
        if step == 0 and key in data.get("at", {}):  # a given input or param: no rounding to allow
            agrees = math.isclose(float(text), exact, rel_tol=1e-12, abs_tol=1e-15)
        assert (verdicts[path.stem, key, index].verdict == "match") == agrees, (key, text, exact)
        checked += 1
    assert checked or not any(written_precision(t) is not None for _, _, t in stated_forms(data))


_TRANSFORMS = (*standard_transformations, implicit_multiplication_application, convert_xor)


def formula_names(text: str, ref: Reference) -> dict[str, sympy.Expr]:
    """Local names for sympy's parser: graph names, their subscripted spellings, and ∂-fractions."""
    names = {n: s for n, s in ref.symbols.items()}
    names |= {n.replace("_", ""): s for n, s in ref.symbols.items() if "_" in n}
    for written in set(re.findall(r"[A-Za-z_]\w*", text)):
        if "_" in written and written.replace("_", "") in names:
            names[written] = names[written.replace("_", "")]
    functions = {"log": sympy.log, "exp": sympy.exp, "cos": sympy.cos, "sigmoid": DEFINITIONS["sigmoid"]}
    return names | {"e": sympy.E, "pi": sympy.pi} | functions


def read_formula(text: str, ref: Reference) -> sympy.Expr:
    """A stated formula in leaves: ∂-fractions by the reference's partials, names by their closed forms."""
    fractions = {}

    def placeholder(match):
        name = f"Frac{len(fractions)}"
        fractions[name] = ref.partial(match.group(1), match.group(2))
        return f" {name} "

    text = re.sub(r"\bd(\w+)/d(\w+)", placeholder, text)
    # the lecture juxtaposes subscripted names (w_4h_2, tN_app): write the products out
    text = re.sub(r"(_\d)(?=[A-Za-z])", r"\1 ", text)
    text = text.replace("tN_app", "t N_app")
    local = formula_names(text, ref) | {n: sympy.Symbol(n) for n in fractions}
    expr = parse_expr(text, local_dict=local, transformations=_TRANSFORMS)
    return expr.xreplace({sympy.Symbol(n): v for n, v in fractions.items()}).xreplace(ref.closed)


def readable(text: str) -> bool:
    return not any(mark in text for mark in ("{", "'", "a(")) and re.search(r"[A-Za-z]", text) is not None


@pytest.mark.parametrize("path", exercise_files(), ids=lambda p: p.stem)
def test_a_formula_matches_exactly_when_it_equals_the_reference_at_random_points(path, verdicts):
    ref = Reference(path)
    rng = random.Random(7)
    leaves = sorted({s.name for e in ref.closed.values() for s in e.free_symbols})
    points = [{n: rng.uniform(0.2, 0.8) for n in leaves} for _ in range(4)]
    for key, index, text in stated_forms(ref.data):
        if not readable(text):
            continue
        stated, truth = read_formula(text, ref), ref.quantity(key)[0]
        if not stated.free_symbols and "/d" not in text:
            continue  # an expression of numbers: checked as a number above and by hand below
        misnamed = {symbol.name for symbol in stated.free_symbols} - set(ref.symbols)  # x_1 for x_t in 003
        equal = not misnamed and all(
            math.isclose(ref.value(stated, p), ref.value(truth, p), rel_tol=1e-9, abs_tol=1e-12) for p in points
        )
        assert (verdicts[path.stem, key, index].verdict == "match") == equal, (key, text)


# ---- the exceptions, worked by hand from the lecture's numbers ------------------------------


def test_001_delta_of_the_output_is_rounded_from_y_0_69():
    y = sigmoid(0.3 * sigmoid(0.1 * 0.35 + 0.8 * 0.9) + 0.9 * sigmoid(0.4 * 0.35 + 0.6 * 0.9))
    exact = (0.5 - y) * y * (1 - y)
    assert round(exact, 4) == -0.0407  # so the lecture's −0.0406 is not the exact δ
    assert round((0.5 - 0.69) * 0.69 * (1 - 0.69), 4) == -0.0406  # but is, from its own y = 0.69
    assert abs(0.69 - y) <= 0.005  # and 0.69 is y to the two digits written


def test_001_gradients_of_the_first_layer_come_from_the_rounded_deltas():
    # δ¹₁ = −0.0027 and δ¹₂ = −0.0082 (each right to its 4 decimals); ∂L/∂W¹ᵢⱼ = −δ¹ᵢ·x⁰ⱼ
    assert round(0.0027 * 0.35, 6) == 0.000945 and round(0.0027 * 0.9, 5) == 0.00243
    assert round(0.0082 * 0.35, 5) == 0.00287 and round(0.0082 * 0.9, 5) == 0.00738
    h1, h2 = sigmoid(0.755), sigmoid(0.68)
    y = sigmoid(0.3 * h1 + 0.9 * h2)
    d2 = (0.5 - y) * y * (1 - y)
    d11, d12 = h1 * (1 - h1) * 0.3 * d2, h2 * (1 - h2) * 0.9 * d2
    assert round(-d11 * 0.35, 6) != 0.000945 and round(-d12 * 0.9, 5) != 0.00738
    assert round(d11, 4) == -0.0027 and round(d12, 4) == -0.0082
    # the second layer: −δ²·x¹ with δ² = −0.0406 gives the lecture's 0.0276 and 0.0269
    assert round(0.0406 * h1, 4) == 0.0276 and round(-d2 * h1, 4) == 0.0277
    assert round(0.0406 * h2, 4) == 0.0269 and round(-d2 * h2, 4) == 0.0270
    # and the updates 0.3 − 0.0276 = 0.2724, where the exact one is 0.2723
    assert round(0.3 + d2 * h1, 4) == 0.2723
    assert round(0.1 - 0.000945, 6) != round(0.1 + d11 * 0.35, 6)


def test_000_relu_network_gradient_with_a_spurious_h2():
    # step 1 of the lecture: w = (0.525, 0.525, 0.55, 0.55, 0.6, 0.6), x = 1, t = 2
    h1 = 0.525 * 1 + 0.525
    h2 = 0.55 * h1 + 0.55
    y = 0.6 * h2 + 0.6
    right = (y - 2) * 0.6  # ∂L/∂w_b² = (y − t)·a′·w³·a′, a′ = 1
    lectures = (y - 2) * h2 * 0.6
    assert round(0.1 * lectures, 7) == -0.0489448  # the lecture's printed η·∂L/∂w_b²
    assert round(0.55 - 0.1 * lectures, 7) == 0.5989448
    assert round(0.55 - 0.1 * right, 5) == 0.59341
    # h² at step 2 follows from the lecture's own w_b², w² = 0.5989448, 0.6013920
    h1_2 = 0.5488755 * 1 + 0.5488755
    assert round(0.6013920 * h1_2 + 0.5989448, 6) == 1.259123
    assert round(0.6815746 * (0.6013920 * h1_2 + 0.5989448) + 0.6723500, 6) == 1.530537


def test_003_training_table_rounding_and_slips():
    h = sigmoid(1)
    assert round((1 - h) ** 2 / 2, 4) == 0.0362 and round(0.343**2 / 2, 4) == 0.0588  # E: 0.343 ≠ 1 − 0.731
    g2, g1 = -(1 - h) * h, -(1 - h) * h * (1 - h)
    w1, w2 = 1 - 0.1 * g1, 1 - 0.1 * g2
    s2 = sigmoid(w1) * w2
    assert round(s2, 3) == 0.746  # the lecture's 0.747 is not the exact s2
    assert round(sigmoid(1.0053) * 1.0197, 3) == 0.747  # but is, from its own rounded w1, w2
    assert round(w2 - 0.1 * -(1 - s2) * sigmoid(w1), 4) == 1.0382
    assert round(1.0197 + 0.1 * 0.186, 4) == 1.0383  # the lecture writes 1.0384: an arithmetic slip


def test_003_e_to_the_zero_read_as_e():
    # dy/dw = −1/x²·2v·eʷ at w = 0, v = 1, x = 1: −2; the lecture writes −1/1²·2·1·e and then −e
    assert -1 / 1**2 * 2 * 1 * math.exp(0) == -2
    assert math.isclose(-1 / 1**2 * 2 * 1 * math.e / -2, math.e)  # e⁰ taken as e
    assert math.isclose(-math.e / -2, math.e / 2)  # and then a factor 2 dropped


def test_004_numbers_from_rounded_intermediates():
    h1, h2 = sigmoid(0.05 * 0.15 + 0.1 * 0.2), sigmoid(0.05 * 0.25 + 0.1 * 0.3)
    o2 = sigmoid(h1 * 0.45 + h2 * 0.5)
    exact = -(0.99 - o2) * o2 * (1 - o2) * h1
    assert round(exact, 5) == -0.04442  # the lecture's −0.04441 is not exact
    assert round(-0.3714 * 0.2359 * 0.5069, 5) == -0.04441  # it comes from its rounded factors
    assert round(-(0.99 - 0.6186), 4) == -0.3714 and round(o2 * (1 - o2), 4) == 0.2359
    assert round(-(0.99 - o2) * o2 * (1 - o2) * h2, 5) == -0.04475
    assert round(-0.3714 * 0.2359 * 0.5106, 5) == -0.04474
    # net_o2 is written with out_h1 twice; 0.6186(1 − 0.618) drops a digit of out_o2
    assert abs((0.5069 * 0.45 + 0.5069 * 0.5) - (h1 * 0.45 + h2 * 0.5)) > 0.001
    assert abs(0.6186 * (1 - 0.618) - o2 * (1 - o2)) > 0.0003
    assert round(0.5069 * 0.45 + h2 * 0.5, 4) == 0.4834  # with out_h2 in the second product it is right
    # with out_o2 in full for the 0.618, only 0.6186's own rounding is left, and it covers the gap
    assert abs(0.6186 * (1 - o2) - o2 * (1 - o2)) <= (1 - o2) * 0.00005
    # the caption out_1 = 0.5843 is ∂E/∂out_o1, not out_o1
    assert round(sigmoid(h1 * 0.35 + h2 * 0.4), 4) == 0.5943


def test_004_first_weight_gradient_from_the_lectures_factors():
    h1, h2 = sigmoid(0.0275), sigmoid(0.0425)
    o1, o2 = sigmoid(h1 * 0.35 + h2 * 0.4), sigmoid(h1 * 0.45 + h2 * 0.5)
    exact = ((o1 - 0.01) * o1 * (1 - o1) * 0.35 + (o2 - 0.99) * o2 * (1 - o2) * 0.45) * h1 * (1 - h1) * 0.05
    assert round(exact, 7) == 0.0001233
    lectures = (0.5843 * 0.2411 * 0.35 + -0.3714 * 0.2359 * 0.45) * h1 * (1 - h1) * 0.05
    assert round(lectures, 7) == 0.0001235


def test_the_json_has_the_spec_fields_and_exit_1_on_a_mismatch():
    result = CliRunner().invoke(app, ["audit", "one-hidden-unit-training", "--json"])
    assert result.exit_code == 1
    entries = json.loads(result.output)["entries"]
    assert {"exercise", "key", "stated", "computed", "verdict", "diagnosis"} <= set(entries[0])
    assert {e["verdict"] for e in entries} == {"match", "rounded_early", "mismatch"}


def test_an_exercise_without_mismatch_exits_0_and_prints_a_table():
    result = CliRunner().invoke(app, ["audit", "gd-quadratic"], env={"COLUMNS": "200"})
    assert result.exit_code == 0
    assert "2.28" in result.output and "9 match" in result.output


def test_audit_all_covers_every_file_and_exits_1():
    result = CliRunner().invoke(app, ["audit", "--all", "--json"])
    assert result.exit_code == 1
    assert {e["exercise"] for e in json.loads(result.output)["entries"]} == {p.stem for p in exercise_files()}


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["audit"], "--all: give an exercise or --all (one of them)"),
        (["audit", "gd-quadratic", "--all"], "--all: give exercises or --all, not both"),
        (["audit", "no-such-exercise"], "unknown exercise"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(args, message):
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 2 and message in result.output
    assert "Traceback" not in result.output


def test_a_stated_key_that_names_nothing_is_bad_input(tmp_path):
    path = tmp_path / "bad.toml"
    path.write_text('[graph]\nL = "w**2"\n[at]\nw = 1\n[stated]\n"dL/dq" = "2"\n')
    result = CliRunner().invoke(app, ["audit", str(path)])
    assert result.exit_code == 2
    assert "stated.dL/dq" in result.output and str(path) in result.output


def synthetic(stated: dict[str, str]):
    """The lecture-003 two-branch network at the catalog's point, with made-up statements."""
    return from_equations(
        {
            "s1": "x_t*w1",
            "h1": "sigmoid(s1)",
            "s2": "h1*w2",
            "h2": "sigmoid(s2)",
            "s3": "h1*w3",
            "h3": "sigmoid(s3)",
            "y": "h2*w4 + h3*w5",
            "E": "(y_t - y)**2/2",
        },
        params=["w1", "w2", "w3", "w4", "w5"],
        at={"x_t": 1, "y_t": 1, "w1": 1, "w2": 0.5, "w3": -1, "w4": 1.5, "w5": -0.5},
        id="synthetic",
        stated=stated,
    )


def test_a_formula_with_one_path_left_out_is_diagnosed():
    # ∂E/∂w1 has two paths; the one through h2 alone is the classic slip
    [entry] = audit(synthetic({"dE/dw1": "-(y_t - y)*w4*h2*(1 - h2)*w2*h1*(1 - h1)*x_t"}))
    assert entry.verdict == "mismatch" and "missing the path w1 → s1 → h1 → s3 → h3 → y → E" in entry.diagnosis


def test_a_name_the_graph_lacks_is_read_as_its_one_sibling_that_makes_the_formula_right():
    # ∂E/∂w5 = −(y_t − y)·h3 (E = ½(y_t − y)², y = h2·w4 + h3·w5): h_3 is right, h_9 is no name
    [entry] = audit(synthetic({"dE/dw5": "-(y_t - y) h_9"}))
    assert entry.verdict == "mismatch"
    assert entry.diagnosis == "writes h_9, which is not a name of synthetic; read as h3, the formula is right"


@pytest.mark.parametrize(
    "formula",
    [
        "-(y_t - y) q_3",  # no graph name starts with q
        "-(y_t - y) h_9 w_9",  # two names the graph lacks
        "(y_t - y) h_9",  # wrong in sign whichever h it is
    ],
)
def test_a_name_the_graph_lacks_is_not_checkable_unless_one_reading_is_right(formula):
    [entry] = audit(synthetic({"dE/dw5": formula}))
    assert entry.verdict == "not_checkable" and "is not a name of synthetic" in entry.diagnosis


def test_a_formula_without_the_sigmoid_derivative_is_diagnosed():
    [entry] = audit(synthetic({"dE/dw3": "-(y_t - y)*w5*h1"}))
    assert entry.verdict == "mismatch" and entry.diagnosis == "the local factor ∂h3/∂s3 = h3*(1 - h3) is missing"


def test_a_number_with_one_path_left_out_is_diagnosed():
    h1 = sigmoid(1)
    h2, h3 = sigmoid(0.5 * h1), sigmoid(-h1)
    y = 1.5 * h2 - 0.5 * h3
    through_h2 = -(1 - y) * 1.5 * h2 * (1 - h2) * 0.5 * h1 * (1 - h1)
    [entry] = audit(synthetic({"dE/dw1": f"{through_h2:.6f}"}))
    assert entry.verdict == "mismatch" and entry.diagnosis.startswith("missing the path w1 → s1 → h1 → s3")


def test_a_number_with_the_wrong_sign_is_diagnosed():
    h1 = sigmoid(1)
    y = 1.5 * sigmoid(0.5 * h1) - 0.5 * sigmoid(-h1)
    [entry] = audit(synthetic({"dE/dy": f"{(1 - y):.5f}"}))  # −(y_t − y) written without its minus
    assert entry.verdict == "mismatch" and entry.diagnosis == "the sign is flipped"


@pytest.mark.parametrize("stated", ["10^9999", "sqrt(-1)", "1e999"])
def test_a_stated_number_with_no_value_is_not_checkable_and_the_audit_goes_on(stated):
    entries = audit(synthetic({"dE/dw5": stated, "dE/dw3": "-(y_t - y)*w5*h1"}))
    assert [e.verdict for e in entries] == ["not_checkable", "mismatch"]


def test_a_stated_step_reaches_as_far_as_train_goes(tmp_path):
    # L = w² − 2w + 2 from w = 3 with η = 0.1: w_k − 1 = 0.8·(w_{k−1} − 1), so w_k = 1 + 2·0.8^k
    path = tmp_path / "far.toml"
    body = '[graph]\nL = "w**2 - 2*w + 2"\n[at]\nw = 3\n[train]\nlr = 0.1\n[stated]\n'
    path.write_text(body + f'"w@150" = "{1 + 2 * 0.8**150:.6f}"\n')
    result = CliRunner().invoke(app, ["audit", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["entries"][0]["verdict"] == "match"
    path.write_text(body + '"w@10001" = "1"\n')
    result = CliRunner().invoke(app, ["audit", str(path)])
    assert result.exit_code == 2 and "past the last one a key may name (10000)" in result.output
