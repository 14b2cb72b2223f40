"""``audit``: every number and formula a lecture states, against what the graph gives.

A number *matches* when it agrees to the precision it is written with (half a unit in its
last digit; for an expression of numbers, that error carried through the expression). One
that agrees only when the lecture's own stated numbers are carried on in place of the exact
ones is ``rounded_early`` (when those numbers are themselves right to their precision) and
the entry names them. A formula is compared as a formula: node names replaced by their
closed forms, then evaluated at random points. Anything else is a ``mismatch``, with a
diagnosis where one fits (sign, factor 2, a missing or extra factor, a missing path, e⁰ read
as e, a wrong number carried forward).
"""

from __future__ import annotations

import itertools
import math
import random
import re
from dataclasses import dataclass, replace
from functools import cached_property

import sympy

from symbackprop.core.values import evaluate
from symbackprop.engine.derivation import Derivation
from symbackprop.engine.evaluation import Overrides, evaluate_pass
from symbackprop.engine.train import passes
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import Exercise, symbol
from symbackprop.exercise.quantities import Quantity, parse_quantity
from symbackprop.parse.plain import free_names, parse, tokenize
from symbackprop.render.plain import plain

VERDICTS = ("match", "rounded_early", "mismatch", "not_checkable")
RANDOM_POINTS = 6
_FRACTION = re.compile(r"\bd([A-Za-z_]\w*)\s*/\s*d([A-Za-z_]\w*)")
_LITERAL = re.compile(r"\s*[-+]?\s*(?=\.?\d)(\d*)(?:\.(\d*))?(?:[eE]([-+]?\d{1,4}))?\s*\Z")
_PLACEHOLDER = "zzq"  # prefix of the names that stand for numbers and ∂-fractions while parsing


@dataclass(frozen=True)
class Entry:
    """One stated value or formula with its verdict."""

    exercise: str
    key: str
    stated: str
    computed: float | str | None
    verdict: str
    diagnosis: str = ""
    intermediates: tuple[str, ...] = ()  # the lecture's own numbers a rounded_early value relies on

    def as_dict(self) -> dict:
        """The JSON form (SPEC §3)."""
        data = {
            "exercise": self.exercise,
            "key": self.key,
            "stated": self.stated,
            "computed": self.computed,
            "verdict": self.verdict,
            "diagnosis": self.diagnosis,
        }
        if self.intermediates:
            data["intermediates"] = list(self.intermediates)
        return data


@dataclass(frozen=True)
class Key:
    """A stated key: a quantity of the exercise's loss, or ∂A/∂B of another node A."""

    quantity: Quantity
    of: str  # the node differentiated (the loss, unless the key says otherwise)

    @property
    def step(self) -> int:
        """The gradient-descent step the key is at."""
        return self.quantity.step


def read_key(key: str, exercise: Exercise) -> Key:
    """A ``[stated]`` key; ``dq/dx`` with q a node other than the loss is ∂q/∂x.

    >>> from symbackprop.exercise.model import from_equations
    >>> ex = from_equations({"q": "x + y", "f": "q*z"})
    >>> read_key("dq/dx", ex).of, read_key("df/dz@1", ex).step
    ('q', 1)
    """
    match = re.match(r"\s*-?\s*d([A-Za-z_]\w*)\s*/", key)
    loss = match.group(1) if match else exercise.loss
    if loss != exercise.loss and loss in exercise.graph.nodes:
        return Key(parse_quantity(key, replace(exercise, loss=loss)), loss)
    return Key(parse_quantity(key, exercise), exercise.loss)


def _literal(text: str) -> tuple[float, float] | None:
    """A plain number and half a unit in its last digit: ``"0.0406"`` → (0.0406, 5e-05); None past a float.

    >>> _literal("0.0406"), _literal("2.5e-3"), _literal(".5"), _literal("1e999")
    ((0.0406, 5e-05), (0.0025, 5e-05), (0.5, 0.05), None)
    """
    match = _LITERAL.match(text)
    if not match:
        return None
    value = float(text.replace(" ", ""))
    if not math.isfinite(value):
        return None
    decimals, exponent = match.group(2), int(match.group(3) or 0)
    if decimals is None and exponent >= 0:
        return value, 0.0  # a whole number is exact
    return value, 0.5 * 10.0 ** (exponent - len(decimals or ""))


def _close(a: float, b: float, tol: float) -> bool:
    return abs(a - b) <= tol + 1e-9 * max(1.0, abs(a), abs(b))


class _Audit:
    """The audit of one exercise: the exact run, the lecture's run, and a verdict per stated form."""

    def __init__(self, exercise: Exercise):
        self.ex = exercise
        self.where = exercise.path or exercise.id
        self.keys = {}
        for key in exercise.stated_forms or {k: (v,) for k, v in exercise.stated.items()}:
            try:
                self.keys[key] = read_key(key, exercise)
            except SymbackpropError as error:
                raise SymbackpropError(error.message, source=self.where, key=f"stated.{key}") from None
        self.forms = exercise.stated_forms or {k: (v,) for k, v in exercise.stated.items()}
        self.derivation = Derivation(exercise, exercise.at(), max_paths=16)
        self.steps = max([exercise.train.get("steps", 0)] + [k.step for k in self.keys.values()])
        self.lr = exercise.train.get("lr")
        self._verdicts: dict[str, str] = {}
        self._subs: dict[str, Derivation] = {}

    # ---- runs -------------------------------------------------------------------------

    def run(self, overrides: dict[int, Overrides] | None = None):
        """Points and passes per step; without ``[train]`` lr only step 0 exists."""
        steps = self.steps if self.lr else 0
        return passes(self.ex, float(self.lr or 1.0), steps, overrides, local=self.derivation.local)

    @cached_property
    def exact(self):
        """The run with nothing overridden."""
        return self.run()

    def sub(self, node: str) -> Derivation:
        """The derivation with ``node`` as the loss (for ∂A/∂B keys of another node)."""
        if node not in self._subs:
            self._subs[node] = Derivation(replace(self.ex, loss=node), None, max_paths=16)
        return self._subs[node]

    def value(self, key: Key, run, overrides: Overrides | None = None) -> float:
        """The value a key names in a run."""
        q = key.quantity
        point, result = run[q.step]
        if not q.gradient:
            return point[q.name] if q.name in point else result.values[q.name]
        if key.of == self.ex.loss:
            value = result.adjoints[q.name]
        elif (key.of, q.name) in result.edges:
            value = result.edges[key.of, q.name]
        else:
            sub = self.sub(key.of)
            value = evaluate_pass(sub.exercise, sub.local, point, overrides).adjoints[q.name]
        return -value if q.negated else value

    def overrides(self, include) -> dict[int, Overrides]:
        """The lecture's own final numbers for the keys ``include``, in place of the exact ones."""
        found: dict[int, tuple[dict, dict, dict]] = {}
        for name in include:
            key, literal = self.keys[name], _literal(self.forms[name][-1])
            if literal is None:
                continue
            values, locals_, adjoints = found.setdefault(key.step, ({}, {}, {}))
            q, number = key.quantity, literal[0]
            if not q.gradient:
                values[q.name] = number
            elif key.of == self.ex.loss:
                adjoints[q.name] = -number if q.negated else number
            elif q.name in self.ex.graph.parents.get(key.of, ()):
                locals_[key.of, q.name] = number
        return {step: Overrides(*parts) for step, parts in found.items()}

    # ---- numbers ----------------------------------------------------------------------

    def template(self, text: str) -> tuple[sympy.Expr, list[sympy.Symbol], list[str]] | None:
        """An expression of numbers with each number a symbol: the expression, the symbols, the numbers."""
        try:
            tokens = tokenize(text)
        except SymbackpropError:
            return None  # not in the plain syntax at all: the formula check says why
        numbers, pieces = [], []
        for token in tokens:
            if token.kind == "number":
                pieces.append(f" {_PLACEHOLDER}{len(numbers)} ")
                numbers.append(token.text)
            else:
                pieces.append(f" {token.text} ")
        symbols = [sympy.Symbol(f"{_PLACEHOLDER}{i}") for i in range(len(numbers))]
        by_name = {s.name: s for s in symbols}

        def resolve(name: str) -> sympy.Expr:
            if name in by_name:
                return by_name[name]
            raise SymbackpropError(f"uses the name {name!r}")

        try:
            return parse("".join(pieces), resolve), symbols, numbers
        except SymbackpropError:
            return None

    def numeric_form(self, text: str) -> tuple[float, float] | None:
        """The value of a number or an expression of numbers, and the error its rounding allows."""
        literal = _literal(text)
        if literal is not None:
            return literal
        found = self.template(text)
        if found is None:
            return None
        expr, symbols, numbers = found
        if any(_literal(number) is None for number in numbers):
            return None  # a number past a float (1e999): the formula check says it has no value
        env = {symbol: float(number) for symbol, number in zip(symbols, numbers, strict=True)}
        try:
            value = evaluate(expr, env)
        except SymbackpropError:
            return None  # 10^9999, sqrt(-1): no value, which the formula check reports as such
        tolerance = 0.0
        for symbol_, text_number in zip(symbols, numbers, strict=True):
            if self.exact_number(text_number):
                continue
            slope = evaluate(sympy.diff(expr, symbol_), env)
            tolerance += abs(slope) * _literal(text_number)[1]
        return value, tolerance

    def exact_number(self, text: str) -> bool:
        """A whole number, or a number the exercise gives exactly (no rounding error to allow)."""
        number, half_unit = _literal(text)
        return half_unit == 0.0 or any(math.isclose(number, g, rel_tol=1e-12) for g in self.given_numbers)

    def misplaced_number(self, key: Key, text: str, exact: float, tolerance: float) -> str:
        """A number of an expression that, replaced by some value of the graph, makes it right."""
        found = self.template(text)
        if found is None or _literal(text) is not None:
            return ""
        expr, symbols, numbers = found
        env = {symbol: float(number) for symbol, number in zip(symbols, numbers, strict=True)}
        point, result = self.exact[key.step]
        values = {n: point[n] if n in point else result.values[n] for n in reversed(self.ex.graph.names)}
        if not key.quantity.gradient and key.quantity.name in self.ex.equations:
            values |= self.parts(key.quantity.name, values)
        for symbol_, text_number in zip(symbols, numbers, strict=True):
            if self.exact_number(text_number):
                continue
            number, half_unit = _literal(text_number)
            # the error the other numbers still allow once this one is replaced
            others = tolerance - abs(evaluate(sympy.diff(expr, symbol_), env)) * half_unit
            written = next((n for n, v in values.items() if abs(v - number) <= half_unit), None)
            for name, value in values.items():
                if name == written or abs(value - number) <= half_unit:
                    continue
                candidate = evaluate(expr, env | {symbol_: value})
                if _close(candidate, exact, others):
                    what = f"{text_number} ({written})" if written else text_number
                    return f"writes {what} where {name} = {value:.6g} belongs"
        return ""

    def parts(self, node: str, values: dict[str, float]) -> dict[str, float]:
        """The values of the parts of ``node``'s equation, by their text: y_t - y in (y_t - y)**2/2.

        A lecture evaluating an equation writes a number for each part; a wrong one is named
        by the part it stands for.
        """
        rhs = self.ex.equations[node]
        env = {name: values[name.name] for name in rhs.free_symbols}
        found = {}
        for part in sympy.preorder_traversal(rhs):
            if part == rhs or part.is_Atom or (part.is_Mul and part.args[0] == -1):  # −y: y's own value
                continue
            # Every part has a value here: the engine evaluated the whole equation, part by part.
            found.setdefault(plain(part), evaluate(part, env))
        return found

    @cached_property
    def given_numbers(self) -> list[float]:
        """Numbers the exercise gives exactly: the point, the data, the learning rate."""
        found = [float(v) for v in (self.ex.point or {}).values()]
        found += [float(v) for values in self.ex.data.values() for v in values]
        return found + ([float(self.lr)] if self.lr else [])

    def verdict_of(self, name: str, stack: frozenset = frozenset()) -> str:
        """The verdict of a key's final form (memoised; a key on its own chain counts as wrong)."""
        if name in stack:
            return "mismatch"
        if name not in self._verdicts:
            self._verdicts[name] = self.check_number(name, self.forms[name][-1], stack | {name}).verdict
        return self._verdicts[name]

    def check_number(self, name: str, text: str, stack: frozenset = frozenset()) -> Entry:
        """A stated number: exact agreement, then agreement with the lecture's carried numbers."""
        key = self.keys[name]
        numeric = self.numeric_form(text)
        if key.step > 0 and not self.lr:
            return self.entry(name, text, None, "not_checkable", "a step after 0 needs a [train] lr")
        stated, tolerance = numeric
        exact = self.value(key, self.exact)
        if _close(stated, exact, tolerance):
            return self.entry(name, text, exact, "match")
        carried = self.carried(name, stated, tolerance)
        if carried:
            wrong = [o for o in carried if self.verdict_of(o, stack) not in ("match", "rounded_early")]
            if not wrong:
                return self.entry(name, text, exact, "rounded_early", "", tuple(carried))
            listed = ", ".join(f"{o} = {self.forms[o][-1]}" for o in wrong)
            return self.entry(
                name, text, exact, "mismatch", f"carried forward: follows from the lecture's {listed}", tuple(carried)
            )
        diagnosis = self.misplaced_number(key, text, exact, tolerance) or self.diagnose_number(
            key, stated, tolerance, exact
        )
        return self.entry(name, text, exact, "mismatch", diagnosis)

    def carried(self, name: str, stated: float, tolerance: float) -> list[str]:
        """A smallest set of the lecture's numbers that make ``stated`` agree when carried on; [] if none."""
        key = self.keys[name]

        def agrees(include: list[str]) -> bool:
            overrides = self.overrides(include)
            return _close(stated, self.value(key, self.run(overrides), overrides.get(key.step)), tolerance)

        numbers = [o for o in self.keys if o != name and _literal(self.forms[o][-1]) is not None]
        # Everything the lecture states; failing that, only its params (a wrong node value of
        # the same step may hide that the rest was carried on), or only earlier steps.
        starts = (
            numbers,
            [o for o in numbers if not self.keys[o].quantity.gradient and self.keys[o].quantity.name in self.ex.params],
            [o for o in numbers if self.keys[o].step < key.step],
        )
        start = next((s for s in starts if s and agrees(s)), None)
        if start is None:
            return []
        keep = list(start)
        # Drop what is not needed, farthest from the key first: a lecture computes a number from
        # the ones it has just written, so those should be the ones that remain.
        order = list(self.keys)
        here = order.index(name)

        def distance(other: str) -> int:
            there = order.index(other)
            return here - there if there < here else len(order) + there

        for other in sorted(start, key=distance, reverse=True):
            fewer = [o for o in keep if o != other]
            if agrees(fewer):
                keep = fewer
        return keep

    def diagnose_number(self, key: Key, stated: float, tolerance: float, exact: float) -> str:
        """What explains a wrong number: a factor, a missing path, a wrong update."""
        found = _factor(stated, exact, tolerance)
        if found:
            return found
        q = key.quantity
        result = self.exact[q.step][1]
        for name, value in self._factors(result, exact, tolerance):
            if _close(stated, exact * value, tolerance):
                return f"extra factor {name} (= {value:.6g})"
            if _close(stated, exact / value, tolerance):
                return f"missing factor {name} (= {value:.6g})"
        if q.gradient and key.of == self.ex.loss:
            for path, value in self._path_values(q.name, result):
                if _close(stated, exact - value, tolerance):
                    return f"missing path {' → '.join(path)}"
        if not q.gradient and q.step > 0 and q.name in self.ex.params and self.lr:
            return self._diagnose_update(key, stated, tolerance)
        for other in self.keys.values():  # the value of another stated quantity, put here
            if other.step == q.step and other.quantity.label != q.label:
                value = self.value(other, self.exact)
                if _close(stated, value, tolerance):
                    return f"this is {other.quantity.label} = {value:.6g}, not {q.label}"
        return ""

    def _factors(self, result, exact: float, tolerance: float) -> list[tuple[str, float]]:
        """Values that could be a missing or extra factor: only those that move ``exact`` well past the tolerance."""
        # Downstream names first: h2 = relu(Z2) has Z2's value, and the lecture names h2.
        order = list(reversed(self.ex.graph.names))
        names = [(n, result.values[n]) for n in order if n in self.ex.graph.nodes or n in self.ex.params]
        edges = [(f"∂{c}/∂{p}", v) for (c, p), v in result.edges.items()]
        return [
            (n, v)
            for n, v in names + edges
            if abs(v) > 1e-9
            and abs(exact * (v - 1)) > 4 * tolerance
            and abs(exact * (1 / v - 1)) > 4 * tolerance
            and abs(v + 1) > 1e-9
        ]

    def _path_values(self, wrt: str, result) -> list[tuple[tuple[str, ...], float]]:
        paths = self.ex.graph.paths(wrt, self.ex.loss, 16)
        if len(paths) < 2:
            return []
        return [(p, math.prod(result.edges[c, a] for a, c in itertools.pairwise(p))) for p in paths]

    def _diagnose_update(self, key: Key, stated: float, tolerance: float) -> str:
        q = key.quantity
        before = f"{q.name}@{q.step - 1}"
        previous = self.exact[q.step - 1][0][q.name]
        for name, known in self.keys.items():
            if known.quantity.name == q.name and not known.quantity.gradient and known.step == q.step - 1:
                literal = _literal(self.forms[name][-1])
                previous = literal[0] if literal else previous
        implied = (previous - stated) / self.lr
        gradient = self.exact[q.step - 1][1].adjoints[q.name]
        label = f"d{self.ex.loss}/d{q.name}@{q.step - 1}"
        what = _factor(implied, gradient, tolerance / self.lr)
        if not what:
            for name, value in self._factors(self.exact[q.step - 1][1], gradient, tolerance / self.lr):
                if _close(implied, gradient * value, tolerance / self.lr):
                    what = f"extra factor {name} (= {value:.6g})"
                    break
                if _close(implied, gradient / value, tolerance / self.lr):
                    what = f"missing factor {name} (= {value:.6g})"
                    break
        if not what:
            return f"the update from {before} = {previous:g} implies {label} = {implied:.6g}, not {gradient:.6g}"
        return f"the update implies {label} = {implied:.6g}: {what}"

    # ---- formulas ---------------------------------------------------------------------

    def resolve(self, name: str) -> sympy.Expr:
        """A name in a stated formula: a graph name, one with subscripts (h_3), or several run together (w_4h_2)."""
        names = self.ex.graph.names
        squeezed = {n.replace("_", ""): n for n in names}
        if name in names:
            return symbol(name)
        if name.replace("_", "") in squeezed and name not in squeezed:
            return symbol(squeezed[name.replace("_", "")])
        pieces = _segment(name, set(names) | set(squeezed))
        if pieces is None:
            raise SymbackpropError(f"{name!r} is not a name of {self.ex.id}")
        return sympy.Mul(*[symbol(squeezed.get(p, p)) for p in pieces])

    def fraction(self, top: str, bottom: str) -> sympy.Expr:
        """∂top/∂bottom in the graph's names: the local derivative on an edge, else the total one."""
        if (top, bottom) in self.derivation.local:
            return self.derivation.local[top, bottom]
        names = self.ex.graph.names
        if top not in self.ex.graph.nodes or bottom not in names:
            raise SymbackpropError(f"d{top}/d{bottom} is not a derivative of the graph")
        return self.sub(top).closed_gradient(bottom)

    def formula(self, text: str, keep_names: bool = False) -> sympy.Expr:
        """A stated formula in inputs and params; ∂-fractions are the graph's derivatives."""
        fractions: dict[str, sympy.Expr] = {}

        def placeholder(match: re.Match) -> str:
            name = f"{_PLACEHOLDER}{len(fractions)}"
            fractions[name] = self.fraction(match.group(1), match.group(2))
            return f" {name} "

        replaced = _FRACTION.sub(placeholder, text)

        def resolve(name: str) -> sympy.Expr:
            return fractions[name] if name in fractions else self.resolve(name)

        expr = parse(replaced, resolve)
        return expr if keep_names else expr.xreplace(self.derivation.closed_nodes)

    def expected(self, key: Key) -> sympy.Expr:
        """The key's true formula in inputs and params."""
        q = key.quantity
        if not q.gradient:
            return self.derivation.closed_nodes.get(symbol(q.name), symbol(q.name))
        if key.of == self.ex.loss:
            value = self.derivation.closed_gradient(q.name)
        else:
            value = self.fraction(key.of, q.name).xreplace(self.derivation.closed_nodes)
        return -value if q.negated else value

    def computed_text(self, key: Key) -> str:
        """The true formula as the lecture would write it, in node names where possible."""
        q = key.quantity
        if q.gradient and key.of == self.ex.loss and not q.negated:
            local = self.derivation.gradient(q.name).local_text()
            if local is not None:
                return local
        if q.gradient and (key.of, q.name) in self.derivation.local:
            return plain(self.derivation.local[key.of, q.name])
        if not q.gradient and q.name in self.ex.equations:
            return self.ex.texts[q.name]
        return plain(self.expected(key))

    @cached_property
    def samples(self) -> list[dict[sympy.Symbol, float]]:
        """Random points for comparing formulas (seeded: the same audit every time)."""
        rng = random.Random(20240611)
        leaves = self.ex.graph.leaves
        return [{symbol(n): rng.uniform(0.15, 0.85) for n in leaves} for _ in range(RANDOM_POINTS)]

    def values_at(self, expr: sympy.Expr) -> list[float | None]:
        """``expr`` at each random point (None where it has no value)."""
        found = []
        for env in self.samples:
            try:
                value = evaluate(expr, env)
            except (SymbackpropError, KeyError, TypeError):
                value = None
            found.append(value if value is not None and math.isfinite(value) else None)  # inf agrees with nothing
        return found

    def check_formula(self, name: str, text: str) -> Entry:
        """A stated formula against the true one, by value at random points."""
        key = self.keys[name]
        computed = self.computed_text(key)
        try:
            stated = self.formula(text)
        except SymbackpropError as error:
            misnamed = self.misnamed(key, text)
            if misnamed:
                return self.entry(name, text, computed, "mismatch", misnamed)
            return self.entry(name, text, computed, "not_checkable", _unreadable(text, error.message))
        truth = self.expected(key)
        agrees = self.agrees(stated, truth)
        if agrees is None:
            return self.entry(name, text, computed, "not_checkable", "it has no value at any test point")
        if agrees:
            return self.entry(name, text, computed, "match")
        used = self.formula(text, keep_names=True).free_symbols
        return self.entry(name, text, computed, "mismatch", self.diagnose_formula(key, stated, truth, used))

    def agrees(self, stated: sympy.Expr, truth: sympy.Expr) -> bool | None:
        """Whether two formulas agree at every random point where both have a value (None: at none)."""
        pairs = [
            (s, t) for s, t in zip(self.values_at(stated), self.values_at(truth), strict=True) if None not in (s, t)
        ]
        if not pairs:
            return None
        return all(_close(s, t, 1e-9 * max(1.0, abs(t))) for s, t in pairs)

    def misnamed(self, key: Key, text: str) -> str:
        """The diagnosis of a formula that uses one name the graph lacks and matches with a sibling in its place.

        Lecture 003 writes x_1 for x_t once; read as x_t, its formula is right. A sibling is a
        graph name with the same letters before its subscript; the diagnosis is given only
        when exactly one sibling makes the formula match.
        """
        try:
            unknown = {name for name in free_names(_FRACTION.sub(" ", text)) if not self.knows(name)}
        except SymbackpropError:  # not even tokens: nothing to rename
            return ""
        if len(unknown) != 1:
            return ""
        (wrong,) = unknown
        readings, truth = [], self.expected(key)
        for sibling in sorted(n for n in self.ex.graph.names if _stem(n) == _stem(wrong)):
            renamed = re.sub(rf"(?<![\w]){re.escape(wrong)}(?![\w])", sibling, text)
            try:
                if self.agrees(self.formula(renamed), truth):
                    readings.append(sibling)
            except SymbackpropError:
                continue
        if len(readings) != 1:
            return ""
        return f"writes {wrong}, which is not a name of {self.ex.id}; read as {readings[0]}, the formula is right"

    def knows(self, name: str) -> bool:
        """Whether a name in a stated formula reads as graph names (h_3, w_4h_2)."""
        try:
            self.resolve(name)
        except SymbackpropError:
            return False
        return True

    def diagnose_formula(self, key: Key, stated: sympy.Expr, truth: sympy.Expr, stated_names=()) -> str:
        """What explains a wrong formula: a constant factor, a factor of the graph, a path, a swapped name."""
        s_values, t_values = self.values_at(stated), self.values_at(truth)

        def same(values: list[float | None], others: list[float | None]) -> bool:
            pairs = [(a, b) for a, b in zip(values, others, strict=True) if None not in (a, b)]
            return bool(pairs) and all(_close(a, b, 1e-9 * max(1.0, abs(b))) for a, b in pairs)

        for factor, what in _CONSTANT_FACTORS:
            if same(s_values, [None if t is None else factor * t for t in t_values]):
                return what
        candidates = self._formula_factors({s.name for s in stated_names})
        for label, values in candidates:
            if same(
                s_values, [None if t is None or v is None else t * v for t, v in zip(t_values, values, strict=True)]
            ):
                return f"extra factor {label}"
            if same(s_values, [None if t is None or not v else t / v for t, v in zip(t_values, values, strict=True)]):
                return f"missing factor {label}"
        q = key.quantity
        if q.gradient and key.of == self.ex.loss:
            gradient = self.derivation.gradient(q.name)
            if not gradient.paths_omitted and len(gradient.paths) > 1:
                closed = self.derivation.closed_nodes
                for path in gradient.paths:
                    rest = self.values_at(truth - path.product.xreplace(closed))
                    if same(s_values, rest):
                        return f"missing path {' → '.join(path.nodes)}"
        if q.gradient and same(
            s_values, self.values_at(self.expected(Key(replace(q, gradient=False, name=key.of), key.of)))
        ):
            return f"this is {key.of} itself, not its derivative"
        named = [label for label, values in candidates[: len(self.ex.graph.names)] if same(s_values, values)]
        meant = [label for label, values in candidates[: len(self.ex.graph.names)] if same(t_values, values)]
        if named and meant:
            return f"{named[0]} in place of {meant[0]}"
        return ""

    def _formula_factors(self, used: set[str] = frozenset()) -> list[tuple[str, list[float | None]]]:
        closed = self.derivation.closed_nodes
        names = sorted(reversed(self.ex.graph.names), key=lambda n: n not in used)  # stable: used first
        found = [(n, self.values_at(closed.get(symbol(n), symbol(n)))) for n in names]
        seen = set()
        for local in self.derivation.local.values():
            if local.is_number or local in seen:
                continue
            seen.add(local)
            found.append((plain(local), self.values_at(local.xreplace(closed))))
        return found

    # ---- entries ----------------------------------------------------------------------

    def entry(self, name, text, computed, verdict, diagnosis="", intermediates=()) -> Entry:
        """One audit entry."""
        return Entry(self.ex.id, name, text, computed, verdict, diagnosis, intermediates)

    def check(self, name: str, text: str) -> Entry:
        """The verdict on one stated form."""
        if self.numeric_form(text) is not None:
            return self.check_number(name, text)
        return self.check_formula(name, text)

    def entries(self) -> list[Entry]:
        """Every stated form of the exercise, in file order."""
        return [self.check(name, text) for name, forms in self.forms.items() for text in forms]


# Constant ratios stated/true and what they mean.
_CONSTANT_FACTORS = (
    (-1.0, "sign"),
    (2.0, "factor 2: twice the true value"),
    (0.5, "factor 2: half the true value (a ½ too many)"),
    (-2.0, "sign, and factor 2: twice the true value"),
    (-0.5, "sign, and factor 2: half the true value"),
    (math.e, "e⁰ read as e"),
    (math.e / 2, "e⁰ read as e, and factor 2: half the true value"),
    (-math.e, "sign, and e⁰ read as e"),
)


def _unreadable(text: str, message: str) -> str:
    """Why a stated form cannot be compared, in the lecture's terms where the cause is plain."""
    if text.lstrip().startswith("{"):
        return f"a piecewise form, which the plain syntax cannot write (cannot read it: {message})"
    if "'" in text:
        return f"a′ of an activation left generic cannot be compared (cannot read it: {message})"
    return f"cannot read it: {message}"


def _stem(name: str) -> str:
    """The letters of a name before its subscript: ``x`` for ``x_t``, ``x1`` and ``x_1``."""
    return re.split(r"[_0-9]", name, maxsplit=1)[0]


def _factor(stated: float, exact: float, tolerance: float) -> str:
    """A constant factor between a stated and a true number, named."""
    for factor, what in _CONSTANT_FACTORS:
        if abs(exact) > 1e-12 and _close(stated, factor * exact, tolerance):
            return what
    return ""


def _segment(name: str, known: set[str]) -> list[str] | None:
    """``w_4h_2`` → ``["w_4", "h_2"]``: juxtaposed names split into known ones (longest first)."""
    if not name:
        return []
    for end in range(len(name), 0, -1):
        head = name[:end]
        if head in known or head.replace("_", "") in known:
            rest = _segment(name[end:], known)
            if rest is not None:
                return [head.replace("_", "") if head not in known else head, *rest]
    return None


def audit(exercise: Exercise) -> list[Entry]:
    """Every ``[stated]`` form of ``exercise`` with its verdict.

    >>> from symbackprop.exercise.model import load
    >>> [(e.stated, e.verdict) for e in audit(load("gd-quadratic")) if e.key == "w@1"]
    [('3 - 0.1 * 4', 'match'), ('2.6', 'match')]
    """
    return _Audit(exercise).entries()


def audit_dict(entries: list[Entry]) -> dict:
    """``audit --json`` (SPEC §3)."""
    return {"entries": [entry.as_dict() for entry in entries]}
