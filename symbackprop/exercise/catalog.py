"""The catalog of exercise files shipped with symbackprop, read without SymPy (fast to list)."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from pathlib import Path

from symbackprop.errors import SymbackpropError

DEFAULT_EXERCISE = "two-branch-sigmoid"


def catalog_dir() -> Path:
    """The folder of built-in exercises: packaged in the wheel, or ``exercises/`` in a checkout."""
    packaged = Path(str(resources.files("symbackprop"))) / "exercises"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[2] / "exercises"


@dataclass(frozen=True)
class Entry:
    """One exercise of the catalog: what ``symbackprop list`` shows."""

    id: str
    title: str
    source: str
    path: Path
    lecture_title: str = ""  # the deck's own title (the file's ``lecture``)

    @property
    def deck(self) -> str:
        """The lecture deck the example comes from (the file name before ' — ')."""
        return self.source.split(" — ")[0].strip()

    @property
    def lecture(self) -> str:
        """The lecture's heading in ``list``: its title, else its deck file, else "other"."""
        return self.lecture_title or self.deck or "other"


def read_toml(path: Path) -> dict:
    """A TOML file as a dict; syntax errors become one line naming the file."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise SymbackpropError("no such file", source=str(path)) from None
    except tomllib.TOMLDecodeError as error:
        raise SymbackpropError(f"TOML syntax: {error}", source=str(path)) from None
    except (OSError, UnicodeDecodeError) as error:
        raise SymbackpropError(f"cannot read: {error}", source=str(path)) from None


@cache
def entries() -> tuple[Entry, ...]:
    """Every built-in exercise, sorted by source lecture, then id."""
    found = []
    for path in sorted(catalog_dir().glob("*.toml")):
        data = read_toml(path)
        found.append(
            Entry(
                id=str(data.get("id", path.stem)),
                title=str(data.get("title", "")),
                source=str(data.get("source", "")),
                path=path,
                lecture_title=str(data.get("lecture", "")),
            )
        )
    return tuple(sorted(found, key=lambda entry: (entry.source, entry.id)))


def find(reference: str) -> Path:
    """The file of an exercise given as a catalog id or a path to a ``.toml`` file."""
    path = Path(reference)
    if path.suffix == ".toml" or path.exists():
        if not path.is_file():
            raise SymbackpropError("no such file", source=reference)
        return path
    named = catalog_dir() / f"{reference}.toml"  # a catalog file is named by its id: read that one, not all
    if named.is_file() and read_toml(named).get("id") == reference:
        return named
    for entry in entries():
        if entry.id == reference:
            return entry.path
    raise SymbackpropError(f"unknown exercise {reference!r} (symbackprop list shows the catalog)")
