"""A stated formula read in the graph's names, and the true one it is compared with.

A lecture writes names as it likes (``h_3`` for h3, ``w_4h_2`` for w4·h2) and ∂-fractions
(``dE/dy``) for derivatives it has already worked; both are read as the graph's own.
"""

from __future__ import annotations

import re

import sympy

from symbackprop.auditing.keys import StatedKey
from symbackprop.auditing.numbers import PLACEHOLDER
from symbackprop.auditing.recompute import Recomputation
from symbackprop.errors import SymbackpropError
from symbackprop.exercise.model import symbol
from symbackprop.judge.equivalence import same_values, values_at
from symbackprop.parse.plain import free_names, parse
from symbackprop.parse.printer import plain

FRACTION = re.compile(r"\bd([A-Za-z_]\w*)\s*/\s*d([A-Za-z_]\w*)")


def resolve(rec: Recomputation, name: str) -> sympy.Expr:
    """A name in a stated formula: a graph name, one with subscripts (h_3), or several run together (w_4h_2)."""
    names = rec.ex.graph.names
    squeezed = {n.replace("_", ""): n for n in names}
    if name in names:
        return symbol(name)
    if name.replace("_", "") in squeezed and name not in squeezed:
        return symbol(squeezed[name.replace("_", "")])
    pieces = segment(name, set(names) | set(squeezed))
    if pieces is None:
        raise SymbackpropError(f"{name!r} is not a name of {rec.ex.id}")
    return sympy.Mul(*[symbol(squeezed.get(p, p)) for p in pieces])


def knows(rec: Recomputation, name: str) -> bool:
    """Whether a name in a stated formula reads as graph names (h_3, w_4h_2)."""
    try:
        resolve(rec, name)
    except SymbackpropError:
        return False
    return True


def fraction(rec: Recomputation, top: str, bottom: str) -> sympy.Expr:
    """∂top/∂bottom in the graph's names: the local derivative on an edge, else the total one."""
    if (top, bottom) in rec.derivation.local:
        return rec.derivation.local[top, bottom]
    if top not in rec.ex.graph.nodes or bottom not in rec.ex.graph.names:
        raise SymbackpropError(f"d{top}/d{bottom} is not a derivative of the graph")
    return rec.sub(top).closed_gradient(bottom)


def read_formula(rec: Recomputation, text: str) -> sympy.Expr:
    """A stated formula in the graph's names; ∂-fractions are the graph's derivatives."""
    fractions: dict[str, sympy.Expr] = {}

    def placeholder(match: re.Match[str]) -> str:
        name = f"{PLACEHOLDER}{len(fractions)}"
        fractions[name] = fraction(rec, match.group(1), match.group(2))
        return f" {name} "

    replaced = FRACTION.sub(placeholder, text)
    return parse(replaced, lambda name: fractions[name] if name in fractions else resolve(rec, name))


def expected(rec: Recomputation, key: StatedKey) -> sympy.Expr:
    """The key's true formula in inputs and params."""
    q = key.quantity
    closed = rec.derivation.closed_nodes
    if updated(rec, key):  # P@1 as a formula is the update rule, in the names of the step before
        assert rec.lr is not None
        return symbol(q.name) - sympy.nsimplify(rec.lr) * rec.derivation.closed_gradient(q.name)
    if not q.gradient:
        return closed.get(symbol(q.name), symbol(q.name))
    if key.of == rec.ex.loss:
        value = rec.derivation.closed_gradient(q.name)
    else:
        value = fraction(rec, key.of, q.name).xreplace(closed)
    return -value if q.negated else value


def updated(rec: Recomputation, key: StatedKey) -> bool:
    """Whether a key is a param one step of gradient descent on: its formula is the update rule."""
    q = key.quantity
    return not q.gradient and q.step == 1 and q.name in rec.ex.params and bool(rec.lr)


def computed_text(rec: Recomputation, key: StatedKey) -> str:
    """The true formula as the lecture would write it, in node names where possible."""
    q = key.quantity
    if updated(rec, key):
        return f"{q.name} - {rec.lr:g}*d{rec.ex.loss}/d{q.name}"
    if q.gradient and key.of == rec.ex.loss and not q.negated:
        local = rec.derivation.gradient(q.name).path_sum_text()
        if local is not None:
            return local
    if q.gradient and key.of == rec.ex.loss:  # δ = −∂L/∂net: the path sum negated, still in node names
        total = rec.derivation.gradient(q.name).path_sum
        if total is not None:
            return plain(-total)
    if q.gradient and (key.of, q.name) in rec.derivation.local:
        return plain(rec.derivation.local[key.of, q.name])
    if not q.gradient and q.name in rec.ex.equations:
        return rec.ex.texts[q.name]
    return plain(expected(rec, key))


def formula_values(rec: Recomputation, expr: sympy.Expr) -> list[float | None]:
    """A formula's values at the comparison points (None where it has none)."""
    return values_at(expr, rec.points, rec.ex.symbols)


def misnamed(rec: Recomputation, key: StatedKey, text: str) -> str:
    """The diagnosis of a formula that uses one name the graph lacks and matches with a sibling in its place.

    Lecture 003 writes x_1 for x_t once; read as x_t, its formula is right. A sibling is a
    graph name with the same letters before its subscript; the diagnosis is given only
    when exactly one sibling makes the formula match.
    """
    try:
        unknown = {name for name in free_names(FRACTION.sub(" ", text)) if not knows(rec, name)}
    except SymbackpropError:  # not even tokens: nothing to rename
        return ""
    if len(unknown) != 1:
        return ""
    (wrong,) = unknown
    readings, truth = [], formula_values(rec, expected(rec, key))
    for sibling in sorted(n for n in rec.ex.graph.names if stem(n) == stem(wrong)):
        renamed = re.sub(rf"(?<![\w]){re.escape(wrong)}(?![\w])", sibling, text)
        try:
            if same_values(formula_values(rec, read_formula(rec, renamed)), truth):
                readings.append(sibling)
        except SymbackpropError:
            continue
    if len(readings) != 1:
        return ""
    return f"writes {wrong}, which is not a name of {rec.ex.id}; read as {readings[0]}, the formula is right"


def unreadable(text: str, message: str) -> str:
    """Why a stated form cannot be compared, in the lecture's terms where the cause is plain."""
    if text.lstrip().startswith("{"):
        return f"a piecewise form, which the plain syntax cannot write (cannot read it: {message})"
    if "'" in text:
        return f"a′ of an activation left generic cannot be compared (cannot read it: {message})"
    return f"cannot read it: {message}"


def stem(name: str) -> str:
    """The letters of a name before its subscript: ``x`` for ``x_t``, ``x1`` and ``x_1``.

    >>> stem("x_t"), stem("x1"), stem("out_o1")
    ('x', 'x', 'out')
    """
    return re.split(r"[_0-9]", name, maxsplit=1)[0]


def segment(name: str, known: set[str]) -> list[str] | None:
    """``w_4h_2`` → ``["w_4", "h_2"]``: juxtaposed names split into known ones (longest first).

    >>> segment("w_4h_2", {"w4", "h2"})
    ['w4', 'h2']
    """
    if not name:
        return []
    for end in range(len(name), 0, -1):
        head = name[:end]
        if head in known or head.replace("_", "") in known:
            rest = segment(name[end:], known)
            if rest is not None:
                return [head.replace("_", "") if head not in known else head, *rest]
    return None
