"""An audit's entries: one stated form with its verdict, and ``audit --json`` (SPEC §3)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

VERDICTS = ("match", "rounded_early", "mismatch", "not_checkable")


@dataclass(frozen=True)
class AuditEntry:
    """One stated value or formula with its verdict."""

    exercise: str
    key: str
    stated: str
    computed: float | str | None
    verdict: str
    diagnosis: str = ""
    intermediates: tuple[str, ...] = ()  # the lecture's own numbers a rounded_early value relies on
    suggestion: str = ""  # what to print instead, for a mismatch or a rounded_early value
    source: str = ""  # where the deck prints it: "004_4fdd033b6857c059.txt:144", or the deck alone

    @property
    def problem(self) -> bool:
        """Whether a lecturer has something to change here: a mismatch or a rounded_early value."""
        return self.verdict in ("mismatch", "rounded_early")

    def as_dict(self) -> dict[str, Any]:
        """The JSON form (SPEC §3).

        >>> AuditEntry("ex", "w@1", "2.6", 2.6, "match").as_dict()["verdict"]
        'match'
        """
        data: dict[str, Any] = {
            "exercise": self.exercise,
            "key": self.key,
            "stated": self.stated,
            "computed": self.computed,
            "verdict": self.verdict,
            "diagnosis": self.diagnosis,
            "suggestion": self.suggestion,
            "source": self.source,
        }
        if self.intermediates:
            data["intermediates"] = list(self.intermediates)
        return data


def audit_dict(entries: Sequence[AuditEntry]) -> dict[str, Any]:
    """``audit --json`` (SPEC §3)."""
    return {"entries": [entry.as_dict() for entry in entries]}
