"""The precision a number is written with: significant figures, and half a unit in its last digit.

A lecture's ``0.0406`` and a student's ``-0.0197`` say how precisely they were meant by the
digits they show. Both the audit and grading read that here, with the lecture's minus sign
``−`` (U+2212) read as ``-``: decks and answers typed from them use it.
"""

from __future__ import annotations

import math
import re
import sys
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

# ASCII digits only: a float() of other scripts' digits would accept what no lecture writes.
# Matched against stripped text, so no two \s* runs can split one stretch of spaces between
# them: that backtracking is quadratic or worse in a long run of spaces a student can paste.
_DECIMAL = re.compile(r"(?P<sign>[-+−]?)\s*(?P<int>[0-9]*)(?:\.(?P<frac>[0-9]*))?(?:[eE](?P<exp>[-+]?[0-9]{1,4}))?\Z")


@dataclass(frozen=True)
class Written:
    """A number's value and, when it is written as a plain decimal, the precision its digits give."""

    value: float
    sigfigs: int | None = None  # significant figures as written (None: not a plain decimal)
    half_unit: float | None = None  # half a unit of the last digit written
    integer: bool = False  # no decimal point and no negative exponent: ``3``, ``1e3``

    @property
    def rounding_error(self) -> float:
        """The error its rounding allows, a whole number taken as exact (a lecture's counts and inputs).

        >>> read_number("0.0406").rounding_error, read_number("3").rounding_error
        (5e-05, 0.0)
        """
        return 0.0 if self.integer else (self.half_unit or 0.0)


def read_number(text: str) -> Written | None:
    """A plain decimal with its precision; None for anything else, or past a float.

    >>> read_number("−0.0406")
    Written(value=-0.0406, sigfigs=3, half_unit=5e-05, integer=False)
    >>> read_number("2.5e-3").half_unit, read_number(".5").sigfigs, read_number("1e999"), read_number("0e400")
    (5e-05, 1, None, None)
    """
    match = _DECIMAL.match(text.strip())
    if not match or not (match["int"] or match["frac"]):
        return None
    sign = "-" if match["sign"] in ("-", "−") else ""
    value = float(f"{sign}{match['int'] or 0}.{match['frac'] or ''}e{match['exp'] or 0}")
    if not math.isfinite(value):
        return None
    digits = (match["int"] or "") + (match["frac"] or "")
    exponent = int(match["exp"] or 0) - len(match["frac"] or "")
    if exponent > sys.float_info.max_10_exp or (value == 0 and digits.strip("0")):
        return None  # "0e400" has a last digit past a float, and "1e-400" a value below one
    integer = match["frac"] is None and int(match["exp"] or 0) >= 0
    return Written(value, len(digits.lstrip("0") or "0"), 0.5 * 10.0**exponent, integer)


def written_precision(text: str, value: float) -> Written:
    """``value`` with the precision ``text`` is written with, if it is a plain decimal.

    >>> written_precision("-0.0197", -0.0197)
    Written(value=-0.0197, sigfigs=3, half_unit=5e-05, integer=False)
    >>> written_precision("2*pi - 3", 3.28).sigfigs is None
    True
    """
    number = read_number(text)
    if number is None:
        return Written(value)
    return Written(value, number.sigfigs, number.half_unit, number.integer)


def significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant figures.

    >>> significant(0.0123456, 3), significant(-731.9, 2)
    (0.0123, -730.0)
    """
    if value == 0 or not math.isfinite(value):
        return value
    return round(value, digits - 1 - math.floor(math.log10(abs(value))))


# A sum or product of numbers rounded to a few figures is a decimal of at most a dozen figures;
# its float carries binary noise past the 15th (0.6·1.5 - 0.3·0.5 is 0.7499999999999999).
# Reading the float back to this many figures recovers the decimal before it is rounded.
DECIMAL_FIGURES = 12


def decimal_significant(value: float, digits: int) -> float:
    """``value`` rounded to ``digits`` significant figures as a person rounds it: in decimal, halves away from zero.

    :func:`significant` rounds the float as it is, so a decimal tie that floating point put
    just below (0.75 computed as 0.7499999999999999) goes down; here it goes up, as on paper.

    >>> decimal_significant(0.6 * 1.5 - 0.3 * 0.5, 1), significant(0.6 * 1.5 - 0.3 * 0.5, 1)
    (0.8, 0.7)
    >>> decimal_significant(0.35, 1), decimal_significant(-0.0625, 2), decimal_significant(0.0406, 3)
    (0.4, -0.063, 0.0406)
    """
    if value == 0 or not math.isfinite(value):
        return value
    decimal = Decimal(f"{value:.{DECIMAL_FIGURES}g}")
    unit = Decimal(1).scaleb(decimal.adjusted() - digits + 1)
    return float(decimal.quantize(unit, rounding=ROUND_HALF_UP))
