"""The library's own error types; the CLI turns them into one line and exit status 2."""

from __future__ import annotations

import math


def is_finite_number(value: object) -> bool:
    """Whether a value read from a file or an option is a real, finite number (TOML has nan, inf and booleans).

    >>> [is_finite_number(v) for v in (2, 0.5, float("inf"), float("nan"), True, "1")]
    [True, True, False, False, False, False]
    """
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def refuse_unknown_keys(table: dict, known: tuple[str, ...], *, source: str | None, prefix: str) -> None:
    """An error at the first key of a file's ``table`` that is not ``known``, naming the known ones.

    >>> refuse_unknown_keys({"choice": [1], "steps": 2}, ("choice", "range"), source="ex.toml", prefix="variants.w")
    Traceback (most recent call last):
    ...
    symbackprop.errors.SymbackpropError: ex.toml: variants.w.steps: unknown key (known: choice, range)
    """
    for key in table:
        if key not in known:
            raise SymbackpropError(f"unknown key (known: {', '.join(known)})", source=source, key=f"{prefix}.{key}")


class SymbackpropError(Exception):
    """Bad input: says where (file, key) and what is wrong, in one line.

    >>> str(SymbackpropError("E uses 'h4' before it is defined", source="net.toml", key="graph.E"))
    "net.toml: graph.E: E uses 'h4' before it is defined"
    """

    def __init__(self, message: str, *, source: str | None = None, key: str | None = None):
        super().__init__(message)
        self.message = message
        self.source = source
        self.key = key

    def located(self, source: str | None = None, key: str | None = None) -> SymbackpropError:
        """The same error with a file and key filled in where they were missing."""
        return type(self)(self.message, source=self.source or source, key=self.key or key)

    def __str__(self) -> str:
        where = [part for part in (self.source, self.key) if part]
        return ": ".join([*where, self.message])


class ParseError(SymbackpropError):
    """An expression that is not in the plain syntax, with the column where reading stopped."""


class EvaluationError(SymbackpropError):
    """A value that does not exist at the point (log of a negative number, division by zero)."""
