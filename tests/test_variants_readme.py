"""README's "Running a course" re-run as printed: its commands, the variants file it shows, what grading says."""

from __future__ import annotations

import hashlib
import json
import re
import shlex

from conftest import ROOT
from typer.testing import CliRunner

from symbackprop.cli import app


def section() -> str:
    text = (ROOT / "README.md").read_text()
    return text[text.index("## Running a course") : text.index("## Python API")]


def test_the_course_commands_run_as_printed_and_give_what_the_readme_shows(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "examples").symlink_to(ROOT / "examples")
    block = re.search(r"```bash\n(.*?)```", section(), re.S)
    assert block is not None
    commands = block[1].strip().splitlines()
    assert len(commands) == 5
    for line in commands:
        words = shlex.split(line)
        if words[:2] == ["mkdir", "-p"]:
            (tmp_path / words[2]).mkdir()
            continue
        assert words[0] == "symbackprop", line
        result = CliRunner().invoke(app, words[1:])
        assert result.exit_code == 0, (line, result.output)
    shown = re.search(r"byte for byte on any machine:\n\n```\n(.*?)```", section(), re.S)
    assert shown is not None and (tmp_path / "variants.csv").read_text() == shown[1]
    students = [line.split(",")[0] for line in shown[1].splitlines()[1:]]
    names = shown[1].splitlines()[0].split(",")[2:]
    for line in shown[1].splitlines()[1:]:  # each id as the README documents it, from the exercise id and the values
        cells = line.split(",")
        text = json.dumps(["two-branch-variants", [list(pair) for pair in zip(names, cells[2:], strict=True)]])
        assert cells[1] == hashlib.sha256(text.encode()).hexdigest()[:8]
    sheets = sorted(p.name for p in (tmp_path / "sheets").iterdir())
    assert sheets == sorted(f"{s}{kind}.tex" for s in students for kind in ("", ".questions"))
    assert len(students) == 7
    ben = shown[1].splitlines()[2].split(",")
    assert (tmp_path / "ben.tex").read_text().startswith(f"% variant {ben[1]}\n")
    assert "\\documentclass" in (tmp_path / "sheets" / "ben.tex").read_text()
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["students"]["ben"]["answers"]["q5"]["verdict"] == "carried_forward"
    assert report["students"]["dev"]["answers"]["q5"]["feedback"].startswith("off by a factor of 2")
    assert "ben's wrong\n  `dE/dy` carries forward" in section() and "off by a factor of 2" in section()
