"""The README's command table and the exercise format in docs/: complete, linked, and runnable."""

from __future__ import annotations

import re
import tomllib

import pytest
import typer
from conftest import EXERCISES
from typer.testing import CliRunner

from symbackprop.cli import app
from symbackprop.exercise.layers import expand
from symbackprop.exercise.model import from_toml

ROOT = EXERCISES.parent
README = (ROOT / "README.md").read_text()
FORMAT = ROOT / "docs" / "exercise-format.md"


def command_rows() -> dict[str, str]:
    """Each command's rows of the README's command table, joined."""
    table = README.split("## Commands", 1)[1].split("\n## ", 1)[0]
    rows: dict[str, str] = {}
    for line in table.splitlines():
        match = re.match(r"\| `symbackprop ([a-z-]+)(.*?)` \|", line.replace("\\|", "/"))
        if match:
            rows[match[1]] = rows.get(match[1], "") + match[2]
    return rows


def commands() -> dict:
    group = typer.main.get_command(app)
    return dict(group.commands)  # type: ignore[attr-defined]  # a group: the app has several commands


@pytest.mark.parametrize("name", sorted(commands()))
def test_the_command_table_names_every_option_of_every_command(name):
    rows = command_rows()
    assert name in rows, f"no row for {name}"
    for param in commands()[name].params:
        if isinstance(param, typer.core.TyperOption) and "--help" not in param.opts:
            assert any(opt in rows[name] for opt in param.opts), f"{name}: {param.opts} not in the README"


def test_the_table_names_version_and_the_readme_links_the_format_not_the_spec():
    assert "`symbackprop --version`" in README
    assert "(docs/exercise-format.md)" in README and FORMAT.is_file()
    assert "SPEC.md" not in README


def test_the_format_covers_every_section_the_loader_reads():
    text = FORMAT.read_text()
    for section in ("[graph]", "[roles]", "[at]", "[layers]", "[data]", "[train]", "[stated]", "[lines]"):
        assert f"## `{section}`" in text, section
    assert "## `[questions]`" in text and "## `[conventions]`" in text and "## `[variants]`" in text


def toml_blocks(text: str) -> list[str]:
    return re.findall(r"```toml\n(.*?)```", text, re.S)


def test_the_formats_complete_example_loads_and_audits_clean(tmp_path):
    example = toml_blocks(FORMAT.read_text())[0]
    exercise = from_toml(tomllib.loads(example), source="example", default_id="example")
    assert exercise.loss == "E" and exercise.params == ("w1", "w2")
    path = tmp_path / "example.toml"
    path.write_text(example)
    result = CliRunner().invoke(app, ["audit", str(path), "--json"])
    assert result.exit_code == 0, result.output
    assert '"source": "003_86bcd916b05bbcd3.txt:582"' in result.stdout


def test_the_formats_layers_example_expands_with_the_names_it_says():
    block = next(b for b in toml_blocks(FORMAT.read_text()) if b.startswith("[layers]"))
    expansion = expand(tomllib.loads(block)["layers"])
    names = [name for name, _ in expansion.equations]
    assert sorted(names) == ["L", "net1_1", "net1_2", "net2_1", "x1_1", "x1_2", "x2_1"]
    assert expansion.point["W1_12"] == 0.8 and expansion.loss == "L"


def test_the_readme_audit_sample_reruns_as_printed():
    sample = README.split("## Auditing a lecture", 1)[1].split("```\n", 3)[2]
    lines = [line for line in sample.splitlines() if line != "  …"]
    exercise = lines[0].split()[0]
    result = CliRunner().invoke(app, ["audit", exercise, "--problems"], env={"COLUMNS": "100"})
    printed = [line.rstrip() for line in result.output.splitlines()]
    assert printed[: len(lines)] == lines
