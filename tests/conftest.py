"""Shared test paths and fixtures: every path is found from this repository, none from a machine.

The lecture decks sit beside the repository (``../shared/lectures``) on the developers'
machines and in CI; where they are not there, the tests that read them skip and say so.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXERCISES = ROOT / "exercises"
EXERCISE_FILES = sorted(EXERCISES.glob("*.toml"))
EXAMPLES = ROOT / "examples"
LECTURES = ROOT.parent / "shared" / "lectures"

# CI installs pdflatex with TikZ and Graphviz (.ci/run); there a missing tool is a failure,
# not a skip, so that the tests needing them cannot silently stop running.
IN_CI = bool(os.environ.get("CI"))


def has_tikz() -> bool:
    """pdflatex is installed and TeX finds TikZ (texlive-pictures): what the figures need."""
    if shutil.which("pdflatex") is None or shutil.which("kpsewhich") is None:
        return False
    found = subprocess.run(["kpsewhich", "tikz.sty"], capture_output=True, text=True, check=False)
    return bool(found.stdout.strip())


def has_graphviz() -> bool:
    """Graphviz's ``dot`` is installed: what reading back ``show --dot`` needs."""
    return shutil.which("dot") is not None


needs_graphviz = pytest.mark.skipif(
    not IN_CI and not has_graphviz(), reason="Graphviz is not installed (Debian: graphviz)"
)
