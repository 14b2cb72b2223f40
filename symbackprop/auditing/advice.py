"""What a lecturer acts on: where a stated form is in the deck, what to print instead, and
numbers shown with enough digits to see a difference, without float noise.
"""

from __future__ import annotations

import math

from symbackprop.exercise.model import Exercise
from symbackprop.judge.precision import read_number
from symbackprop.parse.plain import tokenize

# Below this a recomputed value is float noise around 0 (sin π = 1.22e-16): a lecture prints 0.
NOISE = 1e-12
MAX_DIGITS = 17  # a float has no more significant figures than this


def clean(value: float) -> float:
    """``value`` without float noise: 0 for a value below :data:`NOISE`, else 15 significant figures.

    >>> clean(1.2246467991473532e-16), clean(0.5955805000000001)
    (0.0, 0.5955805)
    """
    if abs(value) < NOISE:
        return 0.0
    return float(f"{value:.15g}")


def decimals(text: str) -> int | None:
    """How many decimals a plain number is written with; None for anything else.

    >>> decimals("0.0406"), decimals("-2"), decimals("2*pi")
    (4, 0, None)
    """
    number = read_number(text)
    if number is None or number.half_unit is None:
        return None
    return max(0, -round(math.log10(2 * number.half_unit)))


def at_decimals(value: float, places: int) -> str:
    """``value`` written with ``places`` decimals, "-0" read as 0.

    >>> at_decimals(1.0382205, 4), at_decimals(-1e-9, 3)
    ('1.0382', '0.000')
    """
    text = f"{value:.{max(places, 0)}f}"
    return text[1:] if text.startswith("-") and not text.strip("-0.") else text


def shown(value: float, stated: str, digits: int = 6) -> str:
    """A recomputed value for the terminal: ``digits`` significant figures, at least as many
    decimals as the stated number has, and more when that is what tells the two apart.

    >>> shown(0.291027774, "0.291027924")
    '0.291027774'
    >>> shown(1.0382205216727156, "1.0384"), shown(1.2246e-16, "0")
    ('1.03822', '0')
    """
    value = clean(value)
    text = f"{value:.{digits}g}"
    places = decimals(stated)
    stated_number = read_number(stated)
    if places is not None and len(text.partition(".")[2]) < places and "e" not in text:
        text = at_decimals(value, places)
    if stated_number is not None and stated_number.value != value:
        for more in range(digits, MAX_DIGITS + 1):  # the same on screen, yet not equal: show where they part
            if float(text) != stated_number.value:
                break
            text = f"{value:.{more}g}"
    return text


def number_suggestion(stated: str, exact: float, places: int | None = None) -> str:
    """What to print for a wrong plain number: the true value, written to the same decimals
    (or to ``places``, an expression's precision, when more).

    When that rounds to the stated text itself (the stated number is right to fewer digits
    than it shows), one more decimal at a time until it differs.

    >>> number_suggestion("0.5843", 0.5942723), number_suggestion("0.747", 0.7464908)
    ('0.5943', '0.746')
    >>> number_suggestion("0.618", 0.6185521, places=4)
    '0.6186'
    """
    own = decimals(stated)
    places = own if places is None or own is None else max(own, places)
    if places is None:
        return f"{clean(exact):.6g}"
    text = at_decimals(exact, places)
    while read_number(text) == read_number(stated) and places < MAX_DIGITS:
        places += 1
        text = at_decimals(exact, places)
    return text


def replace_numbers(text: str, replacements: dict[int, str]) -> str:
    """``text`` with its n-th number token replaced, for each n in ``replacements``.

    >>> replace_numbers("0.5069 * 0.45 + 0.5069 * 0.5", {2: "0.5106"})
    '0.5069 * 0.45 + 0.5106 * 0.5'
    """
    numbers = [token for token in tokenize(text) if token.kind == "number"]
    for index in sorted(replacements, reverse=True):  # from the right: earlier columns stay put
        token = numbers[index]
        start = token.column - 1
        text = text[:start] + replacements[index] + text[start + len(token.text) :]
    return text


def deck_file(exercise: Exercise) -> str:
    """The lecture deck an exercise comes from: its ``source`` before " — " (SPEC §2).

    >>> from symbackprop.exercise.model import load
    >>> deck_file(load("one-hidden-unit-training"))
    '003_86bcd916b05bbcd3.txt'
    """
    return exercise.source.split(" — ")[0].strip()


def source_of(exercise: Exercise, key: str, index: int) -> str:
    """Where a stated form is printed: ``deck:line`` when the file's ``[lines]`` gives the line, else the deck."""
    deck = deck_file(exercise)
    lines = exercise.stated_lines.get(key, ())
    if not lines:
        return deck
    line = lines[min(index, len(lines) - 1)]
    return f"{deck}:{line}" if deck else f"line {line}"
