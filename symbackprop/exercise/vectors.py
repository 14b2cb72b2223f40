"""``[vectors]``: names for lists of params or inputs (``w = ["w1", "w2"]``), read and checked."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from symbackprop.errors import SymbackpropError


def net_sections(
    layers: dict,
    table: dict,
    graph: Mapping[str, object],
    params: Collection[str] | None,
    given: Collection[str],
    source: str,
) -> dict[str, Any]:
    """The exercise's ``layers`` (the table its net was expanded from) and ``vectors`` (read and checked)."""
    return {"layers": dict(layers), "vectors": read_vectors(table, graph, params, given, source)}


def read_vectors(
    table: dict, graph: Mapping[str, object], params: Collection[str] | None, given: Collection[str], source: str
) -> dict[str, tuple[str, ...]]:
    """``[vectors]``: each a list of two or more params, or of inputs, with values in [at] or [data].

    ``graph`` holds the equations by node, ``params`` the params named (None: every free name)
    and ``given`` the names [at] and [data] give values.

    >>> read_vectors({"w": ["w1", "w2"]}, {"a": "w1*x1 + w2*x2"}, ["w1", "w2"], {"w1", "w2", "x1", "x2"}, "f")
    {'w': ('w1', 'w2')}
    """
    vectors = {}
    for name, entries in table.items():
        key = f"vectors.{name}"
        if not isinstance(name, str) or not name.isidentifier():
            raise SymbackpropError(f"{name!r} is not a valid name", source=source, key=key)
        if name in graph or name in given:
            raise SymbackpropError(f"{name!r} is already a name of the graph", source=source, key=key)
        if not isinstance(entries, list) or len(entries) < 2 or not all(isinstance(e, str) for e in entries):
            raise SymbackpropError('expected a list of at least two names, like ["w1", "w2"]', source=source, key=key)
        if len(set(entries)) != len(entries):
            raise SymbackpropError("a name is listed twice", source=source, key=key)
        for entry in entries:
            if entry not in given:
                raise SymbackpropError(
                    f"{entry!r} is not a param or input with a value in [at] or [data]", source=source, key=key
                )
        if params is not None and len({entry in params for entry in entries}) > 1:
            raise SymbackpropError("mixes params and inputs: a vector is one or the other", source=source, key=key)
        vectors[name] = tuple(entries)
    return vectors
