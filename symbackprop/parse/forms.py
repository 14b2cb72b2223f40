"""What students paste and write around a formula, turned into what the readers take.

The terminal's own forms come back as plain syntax (``-(yₜ - y)·w₄·h₂(1 - h₂)`` →
``-(y_t - y)*w4*h2(1 - h2)``, ``σ`` → ``sigmoid``, ``[s₁ > 0]`` → ``heaviside(s1, 0)``), an
answer's left-hand side and trailing punctuation are dropped (``dE/dw4 = …;``), and a
character that stays refused gets a hint saying how to write it. All of it is text to text by
fixed tables and regular expressions without nested quantifiers: nothing is evaluated.
"""

from __future__ import annotations

import re

from symbackprop.core.functions import UNICODE_NAMES

_SUB_DIGITS = str.maketrans("₀₁₂₃₄₅₆₇₈₉", "0123456789")
_SUB_LETTERS = str.maketrans("ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", "aehijklmnoprstuvx")
_SUPER = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹⁻", "0123456789-")
_SUBSCRIPTS = "₀₁₂₃₄₅₆₇₈₉ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ"
_SUPERSCRIPTS = "⁰¹²³⁴⁵⁶⁷⁸⁹⁻"
# W¹₁₂, net²₁, W¹₁,₁₀: a layered name (W1_12, net2_1, W1_1_10) as the terminal prints it.
# (Each pattern here starts only where its run starts, and nothing in it backtracks over a run:
# linear time on an answer of any length.)
_LAYERED = re.compile(r"(?<![A-Za-z])([A-Za-z]+)([⁰¹²³⁴⁵⁶⁷⁸⁹]+)([₀₁₂₃₄₅₆₇₈₉]+(?:,[₀₁₂₃₄₅₆₇₈₉]+)*)")
_SUBSCRIPT_RUN = re.compile(f"[{_SUBSCRIPTS}]+")
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPTS}]+")
# The unit step of a ReLU′ as the terminal writes it: [s₁ > 0] (0 at 0) and [s₁ ≥ 0] (1 at 0).
_BRACKETS = re.compile(r"\[([^\[\]]*)\]")
_SYMBOLS = {"π": "pi", "′": "'", "−": "-", "·": "*", "×": "*", "⋅": "*", "∗": "*"}
# Characters still refused, with how to write what they stand for.
HINTS = {
    "∂": "write only the right-hand side, not ∂E/∂w =",
    "√": "write sqrt(x)",
    "Σ": "write the sum out term by term",
    "∑": "write the sum out term by term",
    "δ": "write each δ out in the graph's names",
    "÷": "write / for division",
    "'": "a prime is written after a function's name: sigmoid'(s3)",
    "=": "write one formula, or the left-hand side and then '='",
    "[": "write ( and ) for brackets",
    "]": "write ( and ) for brackets",
}
_NOT_ASCII = re.compile(r"[^\x00-\x7f]")


def from_unicode(text: str) -> str:
    """The terminal's notation (subscripts, superscripts, σ, π, ·, Iverson brackets) as plain syntax.

    >>> from_unicode("-(yₜ - y)·w₄·h₂(1 - h₂)·σ(s₃)²")
    '-(y_t - y)*w4*h2(1 - h2)*sigmoid(s3)^2'
    >>> from_unicode("W¹₁₂·[s₁ > 0] + net²₁,₁₀")
    'W1_12*heaviside(s1, 0) + net2_1_10'
    """
    if not _NOT_ASCII.search(text) and "[" not in text:
        return text
    for name, symbol in UNICODE_NAMES.items():
        text = text.replace(symbol, name)
    for symbol, plain in _SYMBOLS.items():
        text = text.replace(symbol, plain)
    text = _LAYERED.sub(_layered, text)
    text = _SUBSCRIPT_RUN.sub(_subscript, text)
    text = _SUPERSCRIPT_RUN.sub(lambda match: "^" + match.group().translate(_SUPER), text)
    return _BRACKETS.sub(_iverson, text)


# The unit step as the lecture's LaTeX writes it: \left(\begin{cases} 1, & s > 0 \\ 0, & s \leq 0 \end{cases}\right)
_BEGIN, _END = "\\begin{cases}", "\\end{cases}"
_RELATIONS_WITH_ZERO = ("\\geq", "\\leq", "≥", "≤", ">", "<", "=")


def latex_cases(text: str) -> str:
    r"""A unit step written as LaTeX cases, as ``\operatorname{heaviside}(x, value at 0)``; other cases stay refused.

    >>> latex_cases(r"\left(\begin{cases} 1, & s_{1} > 0 \\ 0, & s_{1} \leq 0 \end{cases}\right) x")
    '\\operatorname{heaviside}(s_{1}, 0) x'
    """
    out, position = [], 0
    while (start := text.find(_BEGIN, position)) >= 0 and (end := text.find(_END, start)) >= 0:
        before = text[position:start]
        left = before.rstrip().endswith("\\left(")
        after = end + len(_END)
        right = text[after:].lstrip().startswith("\\right)")
        step = _unit_step(text[start + len(_BEGIN) : end])
        if step is None:
            out.append(text[position:after])
        else:
            out.append((before.rstrip()[: -len("\\left(")] if left and right else before) + step)
            if left and right:
                after = text.index("\\right)", after) + len("\\right)")
        position = after
    return "".join(out) + text[position:]


def _unit_step(body: str) -> str | None:
    """The rows of a cases environment as heaviside(x, value at 0), or None unless they are a unit step."""
    values: dict[str, str] = {}
    xs = set()
    for row in body.split("\\\\"):
        value, ampersand, condition = row.partition("&")
        found = _comparison_with_zero(condition, _RELATIONS_WITH_ZERO) if ampersand else None
        if found is None:
            return None
        x, relation = found
        xs.add(x)
        key = relation.replace("\\", "").replace("≥", "geq").replace("≤", "leq")
        values[key] = value.strip().rstrip(",").strip()
    if len(xs) != 1 or values.get(">", values.get("geq")) != "1" or values.get("<", values.get("leq")) != "0":
        return None
    at_zero = values.get("=", "1" if "geq" in values else "0" if "leq" in values else None)
    return None if at_zero is None else f"\\operatorname{{heaviside}}({xs.pop()}, {at_zero})"


def _layered(match: re.Match[str]) -> str:
    stem, layer, indices = match.groups()
    return stem + layer.translate(_SUPER) + "_" + "_".join(part.translate(_SUB_DIGITS) for part in indices.split(","))


def _subscript(match: re.Match[str]) -> str:
    run = match.group()
    digits = run.translate(_SUB_DIGITS)
    # w₅ is w5 (the graphs' own spelling); xₜ is x_t
    return digits if digits.isdigit() else "_" + digits.translate(_SUB_LETTERS)


def _iverson(match: re.Match[str]) -> str:
    """``[x > 0]`` as heaviside(x, 0) and ``[x ≥ 0]`` as heaviside(x, 1); any other brackets as they are."""
    found = _comparison_with_zero(match.group(1), (">=", "≥", "\\geq", ">"))
    if found is None:
        return match.group()
    x, relation = found
    return f"heaviside({x}, {0 if relation == '>' else 1})"


def _comparison_with_zero(text: str, relations: tuple[str, ...]) -> tuple[str, str] | None:
    """``x > 0`` as (x, ">"), by string operations alone; None unless it is ``something relation 0``."""
    head = text.strip()
    if not head.endswith("0") or (len(head) > 1 and (head[-2].isdigit() or head[-2] == ".")):
        return None
    head = head[:-1].rstrip()
    for relation in relations:
        if head.endswith(relation) and head[: -len(relation)].strip():
            return head[: -len(relation)].strip(), relation
    return None


# A left-hand side: everything up to the last '=' or '≈' (``dE/dw4 = …``, ``y - y_t = -0.277``).
_RELATIONS = re.compile(r"=|≈|\\approx|\\simeq")
_TRAILING = " \t\r\n\f\v;.,"


def answer_parts(text: str) -> list[str]:
    """The formulas an answer writes, split at '=' and '≈', each with trailing ``;``, ``.`` or ``,`` dropped.

    >>> answer_parts("dE/dw4 = (y - y_t) h2;"), answer_parts("≈ -0.277."), answer_parts("5.")
    (['dE/dw4', '(y - y_t) h2'], ['-0.277'], ['5'])
    """
    parts = [part.rstrip(_TRAILING).strip() for part in _RELATIONS.split(text)]
    kept = [part for part in parts if part]
    return kept or [text.strip()]


def answer_body(text: str, *, formula: bool) -> str:
    """The part of an answer to grade: the last formula written, or for a ``formula`` the last one that is not a number.

    ``dE/dw4 = (y - y_t) h2 = -0.08`` is graded as ``(y - y_t) h2`` when a formula is asked and
    as ``-0.08`` when a number is.

    >>> answer_body("dE/dw4 = (y - y_t)*h2 = -0.08", formula=True), answer_body("y - y_t = -0.277", formula=False)
    ('(y - y_t)*h2', '-0.277')
    """
    parts = answer_parts(text)
    if formula and len(parts) > 1:
        formulas = [part for part in parts[1:] if re.search(r"[A-Za-z_\\]", part)]
        if formulas:
            return formulas[-1]
    return parts[-1]


def hint(char: str) -> str:
    """How to write a refused character, or nothing.

    >>> hint("∂"), hint("@")
    ('write only the right-hand side, not ∂E/∂w =', '')
    """
    return HINTS.get(char, "")


def split_top_level(text: str, separator: str) -> list[str]:
    """``text`` split at each ``separator`` outside (), [] and {}: a product's factors, an equation's sides.

    >>> split_top_level("a·(b·c)·d", "·"), split_top_level("y = f(x = 1)", "=")
    (['a', '(b·c)', 'd'], ['y ', ' f(x = 1)'])
    """
    parts, depth, start = [], 0, 0
    for position, char in enumerate(text):
        if char in "([{":
            depth += 1
        elif char in ")]}":
            depth -= 1
        elif char == separator and depth == 0:
            parts.append(text[start:position])
            start = position + 1
    return [*parts, text[start:]]
