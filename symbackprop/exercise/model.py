"""Exercises: ordered equations with roles and a point, from a TOML file, ``-e`` lines or Python.

Every problem in the input is one :class:`SymbackpropError` naming the file, the key and
what is wrong; nothing given is ignored.
"""

from __future__ import annotations

import difflib
import itertools
import keyword
import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

import sympy

from symbackprop.core.functions import CONSTANTS, FUNCTIONS, Conventions
from symbackprop.core.graph import CycleError, Graph
from symbackprop.errors import SymbackpropError, is_finite_number
from symbackprop.exercise import catalog, vectors
from symbackprop.parse.plain import parse, tokenize

_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
# Sections this version reads; anything else in a file is reported, not skipped.
# [questions] belongs to grading: grade.read_questions reads and checks it; [variants] belongs to
# the commands that draw or use variants: exercise.variants.read_variants reads and checks it.
_KNOWN_KEYS = {
    *("id", "title", "source", "graph", "layers", "roles", "at", "data", "conventions", "train", "stated"),
    *("lecture", "lines", "questions", "variants", "vectors"),
}
REDUCTIONS = ("sum", "mean")


def loss_scale(reduce: str, samples: int) -> float:
    """The weight of each sample's loss in the total: 1/n for a mean, 1 for a sum.

    >>> loss_scale("mean", 4), loss_scale("sum", 4)
    (0.25, 1.0)
    """
    return 1.0 / samples if reduce == "mean" else 1.0


def symbol(name: str) -> sympy.Symbol:
    """The SymPy symbol of a graph name (all values in a network are real).

    >>> symbol("w1").is_real
    True
    """
    return sympy.Symbol(name, real=True)


@dataclass(frozen=True)
class Exercise:
    """A worked example: equations in order, the loss, the params, the point and what is stated."""

    id: str
    equations: dict[str, sympy.Expr]
    texts: dict[str, str]
    loss: str
    params: tuple[str, ...]
    point: dict[str, sympy.Expr] | None = None
    conventions: Conventions = field(default_factory=Conventions)
    title: str = ""
    source: str = ""
    path: str | None = None
    train: dict = field(default_factory=dict)
    stated: dict[str, str] = field(default_factory=dict)
    warnings: tuple[str, ...] = ()
    # Several samples (SPEC §2 [data]): input name → one value per sample; the equations are
    # one sample's, the loss over the data set is their sum or mean (``reduce``).
    data: dict[str, tuple[sympy.Expr, ...]] = field(default_factory=dict)
    reduce: str = "sum"
    # Every form the lecture prints for a key, in order (a formula, the numbers put in, the
    # result); ``stated`` keeps the last of them, the one the lecture ends on.
    stated_forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    # The deck line each stated form is printed on (``[lines]``): one per form, or one for all.
    stated_lines: dict[str, tuple[int, ...]] = field(default_factory=dict)
    layers: dict = field(default_factory=dict)  # the [layers] table expanded (the layer rules' source)
    vectors: dict[str, tuple[str, ...]] = field(default_factory=dict)  # [vectors]: w = (w1, w2)

    @property
    def samples(self) -> int:
        """How many samples the loss is taken over (1 without ``[data]``)."""
        return len(next(iter(self.data.values()))) if self.data else 1

    @property
    def gathered(self) -> str:
        """How the samples' losses are gathered, in words: "summed" or "averaged"."""
        return "averaged" if self.reduce == "mean" else "summed"

    def sample_points(self, point: Mapping[str, object]) -> list[dict[str, object]]:
        """The point completed with each sample's data values, one dict per sample."""
        if not self.data:
            return [dict(point)]
        return [dict(point) | {name: values[k] for name, values in self.data.items()} for k in range(self.samples)]

    @cached_property
    def graph(self) -> Graph:
        """The structure: which names each node uses."""
        return Graph({node: _names_in(rhs) for node, rhs in self.equations.items()})

    @cached_property
    def symbols(self) -> dict[str, sympy.Symbol]:
        """The symbol of every name of the graph."""
        return {name: symbol(name) for name in self.graph.names}

    @property
    def inputs(self) -> tuple[str, ...]:
        """Free names that are not params."""
        return tuple(name for name in self.graph.leaves if name not in self.params)

    def at(self, overrides: Mapping[str, object] | None = None) -> dict[str, sympy.Expr] | None:
        """The point with ``overrides`` (name → number or plain-syntax constant) applied.

        Returns None when some free name has no value (an ad-hoc graph with no point).
        """
        point = dict(self.point or {})
        for name, value in (overrides or {}).items():
            if name not in self.graph.leaves or name in self.data:
                raise SymbackpropError(
                    f"{name!r} is not an input or param of {self.id} with one value "
                    f"(they are: {', '.join(n for n in self.graph.leaves if n not in self.data)})",
                    key="--at",
                )
            point[name] = exact_number(value, key=f"--at {name}")
        missing = [name for name in self.graph.leaves if name not in point and name not in self.data]
        if not missing:
            return point
        if point:
            raise SymbackpropError(f"no value for {', '.join(missing)}", key="--at")
        return None


def _names_in(expr: sympy.Expr) -> tuple[str, ...]:
    return tuple(sorted(s.name for s in expr.free_symbols))


def exact_number(value: object, *, source: str | None = None, key: str | None = None) -> sympy.Expr:
    """An exact real number from a TOML value or a plain-syntax constant like ``-2`` or ``pi/2``.

    >>> exact_number(0.1), exact_number("2*pi")
    (1/10, 2*pi)
    """
    if isinstance(value, bool):
        raise SymbackpropError(f"expected a number, not {value!r}", source=source, key=key)
    if isinstance(value, int):
        return _floatable(sympy.Integer(value), value, source=source, key=key)
    if isinstance(value, float):
        if not is_finite_number(value):  # TOML's nan and inf
            raise SymbackpropError(f"expected a finite number, not {value!r}", source=source, key=key)
        return sympy.Rational(repr(value))  # the decimal the user wrote, exactly
    if isinstance(value, str):

        def no_names(name: str) -> sympy.Expr:
            raise SymbackpropError(f"expected a number, found the name {name!r}", source=source, key=key)

        try:
            number = parse(value, no_names)
        except SymbackpropError as error:
            raise error.located(source, key) from None
        if number.is_number and number.is_real:
            return _floatable(number, value, source=source, key=key)
    raise SymbackpropError(f"expected a number, not {value!r}", source=source, key=key)


def _floatable(number: sympy.Expr, written: object, *, source: str | None, key: str | None) -> sympy.Expr:
    """``number``, when a float can hold it: every value is computed in floats (10^9999 is not one)."""
    if not math.isfinite(float(number)):
        shown = str(written) if len(str(written)) <= 40 else f"{str(written)[:40]}…"
        raise SymbackpropError(f"{shown} is beyond what a float can hold (about ±1.8e308)", source=source, key=key)
    return number


def _check_name(name: str, *, source: str | None, key: str) -> None:
    if not _NAME.match(name) or keyword.iskeyword(name):
        raise SymbackpropError(f"{name!r} is not a valid name", source=source, key=key)
    if name in FUNCTIONS or name in CONSTANTS:
        raise SymbackpropError(f"{name!r} is a function or constant of the library", source=source, key=key)


def _check_calls(text: str, callable_names: set[str], *, source: str | None, key: str) -> None:
    # The parser reads "h3(1 - h3)" as a product, as students write it; in an equation,
    # "sigmod(s1)" is far more likely a misspelt function, so a call of an unknown name is an error.
    tokens = tokenize(text)
    for token, following in itertools.pairwise(tokens):
        if token.kind == "name" and following.text == "(" and token.text not in callable_names:
            raise SymbackpropError(f"unknown function {token.text!r}", source=source, key=key)


def from_equations(
    equations: Iterable[tuple[str, str]] | Mapping[str, str],
    *,
    loss: str | None = None,
    params: Iterable[str] | None = None,
    at: Mapping[str, object] | None = None,
    conventions: Mapping[str, object] | Conventions | None = None,
    id: str = "equations",
    file: str | None = None,
    keys: str = "graph",
    data: Mapping[str, Iterable[object]] | None = None,
    reduce: str = "sum",
    **extra,
) -> Exercise:
    """Build an exercise from ordered ``name = right side`` equations.

    Free names that are neither defined nor params are inputs; with no ``params``, every free
    name is a param. With no ``loss``, the loss is the one node no other equation uses; when
    several are, the loss must be named (a guess would differentiate the wrong node).

    >>> ex = from_equations({"q": "x + y", "f": "q*z"}, params=["x", "y", "z"], at={"x": -2, "y": 5, "z": -4})
    >>> ex.loss, ex.params, ex.graph.leaves
    ('f', ('x', 'y', 'z'), ('x', 'y', 'z'))
    """
    pairs = list(equations.items() if isinstance(equations, Mapping) else equations)
    if not pairs:
        raise SymbackpropError("no equations", source=file, key=keys)
    defined: dict[str, int] = {}
    for index, (name, text) in enumerate(pairs):
        key = f"{keys}.{name}"
        _check_name(name, source=file, key=key)
        if name in defined:
            raise SymbackpropError(f"{name!r} is defined twice", source=file, key=key)
        if not isinstance(text, str):
            raise SymbackpropError(f"expected an expression in quotes, not {text!r}", source=file, key=key)
        defined[name] = index

    param_list = list(params) if params is not None else None
    for name in param_list or ():
        key = f"roles.params.{name}"
        if not isinstance(name, str):
            raise SymbackpropError(f"expected a name, not {name!r}", source=file, key="roles.params")
        _check_name(name, source=file, key=key)
        if name in defined:
            raise SymbackpropError(f"{name!r} is defined by an equation; a param is a free name", source=file, key=key)

    callable_names = set(FUNCTIONS)
    rhs: dict[str, sympy.Expr] = {}
    for name, text in pairs:
        key = f"{keys}.{name}"
        try:
            _check_calls(text, callable_names, source=file, key=key)
            rhs[name] = parse(text, symbol)
            for number in rhs[name].atoms(sympy.Number):
                _floatable(number, "a number in it", source=file, key=key)
        except SymbackpropError as error:
            raise error.located(file, key) from None
    _check_order(pairs, rhs, defined, source=file, keys=keys)

    graph = Graph({name: _names_in(expr) for name, expr in rhs.items()})
    loss = loss if loss is not None else _only_sink(graph, source=file)
    if not isinstance(loss, str) or loss not in defined:
        raise SymbackpropError(f"the loss {loss!r} is not defined by an equation", source=file, key="roles.loss")
    if param_list is None:
        param_list = list(graph.leaves)
    warnings = tuple(
        f"{file or id}: roles.params: {name!r} does not reach the loss {loss}; its gradient is 0"
        for name in param_list
        if name not in graph.leaves or not graph.reaches(name, loss)
    )
    samples = _read_data(data or {}, reduce, graph, param_list, source=file)
    # A param no equation uses has its warning above; its [at] value is then not an error too.
    unused = {name for name in param_list if name not in graph.leaves}
    at = {name: value for name, value in at.items() if name not in unused} if at is not None else None
    point = _read_point(at, graph, source=file, given=samples) if at is not None else None
    if not isinstance(conventions, Conventions):
        try:
            conventions = Conventions.from_mapping(dict(conventions or {}))
        except SymbackpropError as error:
            raise error.located(file) from None
    return Exercise(
        id=id,
        equations=rhs,
        texts=dict(pairs),
        loss=loss,
        params=tuple(param_list),
        point=point,
        conventions=conventions,
        path=file,
        warnings=warnings,
        data=samples,
        reduce=reduce,
        **extra,
    )


def _only_sink(graph: Graph, *, source: str | None) -> str:
    """The loss of a graph that does not name one: the single node no equation uses.

    >>> _only_sink(Graph({"s": ("w", "x"), "E": ("s",)}), source=None)
    'E'
    """
    sinks = [node for node in graph.nodes if not graph.children(node)]
    if len(sinks) != 1:
        raise SymbackpropError(
            f"no loss given, and {', '.join(sinks)} could each be it (no other equation uses them): name one",
            source=source,
            key="roles.loss",
        )
    return sinks[0]


def _check_order(pairs, rhs, defined, *, source, keys) -> None:
    """Each right side may use only earlier names; report a cycle as a cycle."""
    for index, (name, _) in enumerate(pairs):
        later = [used.name for used in rhs[name].free_symbols if defined.get(used.name, -1) >= index]
        if not later:
            continue
        try:
            _ = Graph({node: _names_in(expr) for node, expr in rhs.items()}).order  # raises on a cycle
        except CycleError as error:
            raise error.located(source, f"{keys}.{name}") from None
        raise SymbackpropError(
            f"uses {sorted(later)[0]!r} before it is defined (equations are read in order)",
            source=source,
            key=f"{keys}.{name}",
        )


def _read_data(data, reduce, graph: Graph, params, *, source: str | None) -> dict[str, tuple[sympy.Expr, ...]]:
    """``[data]``: one list of numbers per input, all of one length; ``reduce`` sum or mean."""
    if reduce not in REDUCTIONS:
        raise SymbackpropError(f'expected "sum" or "mean", not {reduce!r}', source=source, key="data.reduce")
    samples: dict[str, tuple[sympy.Expr, ...]] = {}
    for name, values in data.items():
        key = f"data.{name}"
        if name not in graph.leaves or name in params:
            what = "a param" if name in params else "defined by an equation" if name in graph.parents else "unused"
            raise SymbackpropError(f"{name!r} is {what}; [data] gives inputs", source=source, key=key)
        if not isinstance(values, list) or not values:
            raise SymbackpropError("expected a non-empty list of numbers, one per sample", source=source, key=key)
        samples[name] = tuple(exact_number(value, source=source, key=key) for value in values)
    lengths = {name: len(values) for name, values in samples.items()}
    if len(set(lengths.values())) > 1:
        listed = ", ".join(f"{name}: {n}" for name, n in lengths.items())
        raise SymbackpropError(f"every list needs one value per sample ({listed})", source=source, key="data")
    return samples


def _read_point(
    at: Mapping[str, object], graph: Graph, *, source: str | None, given: Mapping[str, object] | None = None
) -> dict[str, sympy.Expr]:
    given = given or {}
    point = {}
    for name, value in at.items():
        if name in given:
            raise SymbackpropError(f"{name!r} has its values in [data]", source=source, key=f"at.{name}")
        if name not in graph.leaves:
            what = "is defined by an equation" if name in graph.parents else "is not used by any equation"
            raise SymbackpropError(f"{name!r} {what}; [at] gives inputs and params", source=source, key=f"at.{name}")
        point[name] = exact_number(value, source=source, key=f"at.{name}")
    missing = [name for name in graph.leaves if name not in point and name not in given]
    if missing:
        raise SymbackpropError(f"missing value for {', '.join(missing)}", source=source, key="at")
    return point


def parse_equation_line(line: str, index: int) -> tuple[str, str]:
    """Split one ``-e`` option, ``NAME = right side``, into its two sides.

    >>> parse_equation_line("E = (t - y)**2/2", 1)
    ('E', '(t - y)**2/2')
    """
    name, equals, text = line.partition("=")
    if not equals or not name.strip() or not text.strip():
        raise SymbackpropError(f"expected NAME = expression, got {line!r}", source="-e", key=f"equation {index}")
    return name.strip(), text.strip()


def load(reference: str | Path) -> Exercise:
    """Load an exercise by catalog id or path to a ``.toml`` file."""
    path = catalog.find(str(reference))
    data = catalog.read_toml(path)
    return from_toml(data, source=str(path), default_id=path.stem)


def _table(data: dict, key: str, source: str) -> dict:
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise SymbackpropError("expected a table", source=source, key=key)
    return value


def from_toml(data: dict, *, source: str, default_id: str) -> Exercise:
    """An exercise from the parsed TOML of a file (SPEC §2)."""
    for key in data:
        if key not in _KNOWN_KEYS:
            raise SymbackpropError(
                f"unknown section or key (known: {', '.join(sorted(_KNOWN_KEYS))})", source=source, key=key
            )
    graph = _table(data, "graph", source)
    layers = _table(data, "layers", source)
    roles = _table(data, "roles", source)
    for key in roles:
        if key not in ("loss", "params"):
            raise SymbackpropError("unknown role (known: loss, params)", source=source, key=f"roles.{key}")
    params = roles.get("params")
    if params is not None and not isinstance(params, list):
        raise SymbackpropError("expected a list of names", source=source, key="roles.params")
    if "at" not in data and not layers:
        raise SymbackpropError("missing: the point the lecture evaluates at", source=source, key="at")
    at = dict(_table(data, "at", source))
    loss = roles.get("loss")
    if layers:
        if graph:
            raise SymbackpropError("give [graph] or [layers], not both", source=source, key="layers")
        from symbackprop.exercise.layers import expand  # only files with layers need it

        expansion = expand(layers, source=source)
        graph, loss = dict(expansion.equations), loss or expansion.loss
        params = params if params is not None else expansion.params
        for name, value in expansion.point.items():
            if name in at:
                raise SymbackpropError(f"{name!r} is given in [layers] and in [at]", source=source, key=f"at.{name}")
            at[name] = value
    if not graph:
        raise SymbackpropError("missing: the equations of the graph", source=source, key="graph")
    stated, forms = _read_stated(_table(data, "stated", source), source)
    train = _table(data, "train", source)
    _check_train(train, source)
    samples = dict(_table(data, "data", source))
    reduce = samples.pop("reduce", "sum")
    exercise = from_equations(
        graph,
        loss=loss,
        params=params,
        at=at,
        conventions=_table(data, "conventions", source),
        id=str(data.get("id", default_id)),
        file=source,
        data=samples,
        reduce=reduce,
        title=str(data.get("title", "")),
        source=str(data.get("source", "")),
        train=train,
        stated=stated,
        stated_forms=forms,
        stated_lines=_read_lines(_table(data, "lines", source), forms, source),
        **vectors.net_sections(layers, _table(data, "vectors", source), graph, params, {*at, *samples}, source),
    )
    _check_params_used(exercise, roles.get("params") or [], source)
    return exercise


def _check_params_used(exercise: Exercise, named: list[str], source: str) -> None:
    """A param ``[roles]`` names that no equation uses is a slip of the pen (w5 for w_5), not a choice."""
    for name in named:
        if name not in exercise.graph.leaves:
            close = difflib.get_close_matches(name, exercise.graph.leaves, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise SymbackpropError(f"{name!r} is not used by any equation{hint}", source=source, key="roles.params")


def _read_stated(table: dict, source: str) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """``[stated]``: a string, or a list of the strings the lecture prints in turn for one key."""
    last, forms = {}, {}
    for key, value in table.items():
        values = value if isinstance(value, list) and value else [value]
        for item in values:
            if not isinstance(item, str):
                raise SymbackpropError(
                    f"stated values are strings, verbatim as the lecture prints them: write {str(item)!r} in quotes",
                    source=source,
                    key=f"stated.{key}",
                )
        last[key], forms[key] = values[-1], tuple(values)
    return last, forms


def _read_lines(table: dict, forms: dict[str, tuple[str, ...]], source: str) -> dict[str, tuple[int, ...]]:
    """``[lines]``: the deck line of each ``[stated]`` key, one number or one per form."""
    lines = {}
    for key, value in table.items():
        where = f"lines.{key}"
        if key not in forms:
            raise SymbackpropError("not a key of [stated]", source=source, key=where)
        numbers = value if isinstance(value, list) else [value]
        if not all(isinstance(n, int) and not isinstance(n, bool) and n >= 1 for n in numbers):
            raise SymbackpropError(
                f"expected a line number ≥ 1 or a list of them, not {value!r}", source=source, key=where
            )
        if isinstance(value, list) and len(value) != len(forms[key]):
            message = f"{len(value)} lines for {len(forms[key])} stated forms: give one per form, or one number"
            raise SymbackpropError(message, source=source, key=where)
        lines[key] = tuple(numbers)
    return lines


def _check_train(train: dict, source: str) -> None:
    for key, value in train.items():
        if key == "lr" and is_finite_number(value) and value > 0:
            continue
        if key == "steps" and isinstance(value, int) and not isinstance(value, bool) and value >= 0:
            continue
        wanted = {"lr": "a positive finite number", "steps": "a whole number ≥ 0"}.get(key)
        message = f"expected {wanted}, not {value!r}" if wanted else "unknown key (known: lr, steps)"
        raise SymbackpropError(message, source=source, key=f"train.{key}")
