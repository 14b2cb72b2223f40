r"""Long LaTeX lines broken for the page: at a + or −, else between two factors of a product.

A break inside ``\left( … \right)`` closes the delimiter with ``\right.`` and reopens it with
``\left.`` on the next line, so that every line of an ``align*`` is valid on its own.
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class _Cut:
    position: int  # index of the space before the + or −, or between the two factors
    depth: float  # parentheses open there, plus ½ between factors: shallower cuts read better
    open_lefts: int  # \left delimiters open there, to close with \right. and reopen with \left.
    continuation: str = ""  # what the next line starts with before the rest: \cdot between factors


# Only these characters change the depth or may start a cut; the rest are passed over in one search.
_MARKS = re.compile(r"[\\{}() ]")
_DELIMITER = re.compile(r"\\(left|right)(\\[{}]|\\[a-z]+|.)")
# After a space, what cannot start the next factor of a product: relations, the sum's
# \Bigl(, text and spacing, the closing halves of delimiters and environments.
_NOT_A_FACTOR = re.compile(r"[=<>+\-&]|\\\\|\\(right|end|Bigl|Bigr|text|dots|cdot|quad|approx|geq|leq|neq)\b")


def _between_factors(tex: str, index: int) -> bool:
    """Whether the space at ``index`` separates two factors of a product (w_{2} w_{3}, \frac{…}{…} \frac{…}{…})."""
    before, after = tex[index - 1], tex[index + 1 : index + 2]
    return (before.isalnum() or before in ")}") and bool(after) and not _NOT_A_FACTOR.match(tex, index + 1)


def _cuts(tex: str) -> list[_Cut]:
    """Where ``tex`` may break: a binary + or −, or a space between factors, outside braces and environments."""
    found = []
    braces = environments = lefts = parens = 0
    index = 0
    # Read in place (match and startswith at an index): slicing the rest at every character
    # made this quadratic, minutes for the closed form of a modest dense network.
    while (mark := _MARKS.search(tex, index)) is not None:
        index = mark.start()
        if match := _DELIMITER.match(tex, index):
            step = 1 if match.group(1) == "left" else -1
            lefts, parens = lefts + step, parens + step
            index = match.end()
            continue
        if tex.startswith(("\\{", "\\}", "\\\\", "\\(", "\\)"), index):
            index += 2
            continue
        environments += tex.startswith("\\begin{", index) - tex.startswith("\\end{", index)
        braces += {"{": 1, "}": -1}.get(tex[index], 0)
        parens += {"(": 1, ")": -1}.get(tex[index], 0)
        if index and braces == 0 and environments == 0:
            if tex.startswith((" + ", " - "), index):
                found.append(_Cut(index, parens, lefts))
            elif tex[index] == " " and _between_factors(tex, index):
                found.append(_Cut(index, parens + 0.5, lefts, continuation="\\cdot "))
        index += 1
    return found


def visible_width(tex: str) -> int:
    r"""Roughly how many symbols wide ``tex`` shows: a command is one glyph, a ∂-fraction four,
    a binary operator three (TeX sets it with space on both sides).

    >>> visible_width(r"\frac{\partial E}{\partial w_{1}} = -(y_{t} - y)")   # ∂∂∂∂ ␣=␣ -(yt ␣-␣ y)
    16
    """
    group = r"\{\\partial (?:[^{}]|\{[^{}]*\})*\}"
    tex = re.sub(rf"\\frac{group}{group}", "dddd", tex)
    tex = re.sub(r" [-+=] ", "ooo", tex)
    tex = re.sub(r"\\(left|right)\.|\\(left|right)|\\(begin|end)\{[a-z*]+\}|\\operatorname", "", tex)
    tex = re.sub(r"\\[A-Za-z]+", "x", tex)
    return len(re.sub(r"[{}_^ &]", "", tex))


def break_lines(tex: str, width: int, indent: str = r"&\quad ") -> str:
    r"""``tex`` with a line break wherever a line would run past ``width``: before a + or −, else
    between two factors, the next line starting with ·.

    A break inside ``\left( … \right)`` closes the delimiter with ``\right.`` and reopens it
    with ``\left.``, so that every line of the ``align*`` is valid on its own.

    >>> print(break_lines(r"a + \left(b + c\right) - d", 6))
    a + \left(b \right. \\
    &\quad \left. + c\right) \\
    &\quad - d
    >>> chain = r"\frac{\partial E}{\partial y} \frac{\partial y}{\partial s} \frac{\partial s}{\partial w}"
    >>> print(break_lines(chain, 8))
    \frac{\partial E}{\partial y} \frac{\partial y}{\partial s} \\
    &\quad \cdot \frac{\partial s}{\partial w}
    """
    if visible_width(tex) <= width:
        return tex  # most lines fit: finding where they could break is the costly part
    cuts = _cuts(tex)
    lines, start, reopen, continuation = [], 0, 0, ""
    while visible_width(tex[start:]) > width:
        # A line cut down to a few symbols ("(y") reads worse than one that runs long. The cuts
        # are measured in order and only until one runs past the width: a line is short, the
        # whole expression may not be.
        ahead, fitting = [], []
        for cut in (cut for cut in cuts if cut.position > start):
            shown = visible_width(tex[start : cut.position])
            if shown < width // 4:
                continue
            ahead.append(cut)
            if shown > width:
                break
            fitting.append((cut, shown))
        if not ahead:
            break
        long_enough = [cut for cut, shown in fitting if shown >= width // 2]
        choice = long_enough or [cut for cut, _ in fitting]
        if choice:
            shallowest = min(cut.depth for cut in choice)
            cut = [cut for cut in choice if cut.depth == shallowest][-1]
        else:
            cut = ahead[0]
        lines.append(r"\left. " * reopen + continuation + tex[start : cut.position] + r" \right." * cut.open_lefts)
        start, reopen, continuation = cut.position + 1, cut.open_lefts, cut.continuation
    lines.append(r"\left. " * reopen + continuation + tex[start:])
    return f" \\\\\n{indent}".join(lines)
