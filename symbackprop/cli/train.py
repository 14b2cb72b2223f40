"""``symbackprop train``: the lecture's gradient-descent table, one row per step."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import Annotated

import typer

from symbackprop.cli.common import app, console, number, reports_errors, warn

CELL = 12  # a value's column: number() writes at most 12 characters (-1.23457e-05)
STEP = 6  # the step column: up to 10000


@app.command()
@reports_errors
def train(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a .toml file.")],
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate η (default: the exercise's [train]).")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", help="Number of updates (default: the exercise's [train]).")
    ] = None,
    every: Annotated[
        int, typer.Option("--every", help="Show every K-th step (and the last); 1 shows them all.", min=1)
    ] = 1,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the table as JSON (SPEC §3), one step a line.")
    ] = False,
) -> None:
    """Gradient descent from the exercise's point: params, node values, loss and gradients per step."""
    from symbackprop.engine.train import settings, training
    from symbackprop.exercise.model import load

    ex = load(exercise)
    warn(ex.warnings)
    lr, steps = settings(ex, lr, steps)
    rows = (row for row in training(ex, lr=lr, steps=steps) if row.step % every == 0 or row.step == steps)
    if as_json:
        _stream_json(ex.id, lr, rows)
        return
    out = console()
    title = f"{ex.id}: η = {lr:g}" + (f", every {every} steps and the last" if every > 1 else "")
    out.print(title, style="bold", markup=False)
    tables = _tables(_columns(ex, ex.params), out.width)
    if len(tables) > 1:
        out.print(
            f"{sum(map(len, tables))} columns, in {len(tables)} tables to fit {out.width} characters: "
            "params, the loss, gradients, then node values",
            style="dim",
        )
    for line in _lines(tables, list(rows)):
        sys.stdout.write(line + "\n")
    if ex.data:
        reduce = "sum" if ex.reduce == "sum" else "mean"
        out.print(
            f"{ex.samples} samples: node values are the first sample's; "
            f"the loss and gradients are the {reduce} over all samples.",
            style="dim",
        )


def _stream_json(exercise: str, lr: float, rows: Iterable) -> None:
    """``train --json`` written as each step is computed: the object of SPEC §3, one step a line."""
    import json

    from symbackprop.engine.train import step_dict

    write = sys.stdout.write
    encode = json.JSONEncoder(ensure_ascii=False).encode  # one encoder for every step, not one a step
    write(f'{{"exercise": {encode(exercise)}, "lr": {encode(lr)}, "steps": [\n')
    for index, row in enumerate(rows):
        write(("" if index == 0 else ",\n") + encode(step_dict(row)))
    write("\n]}\n")


def _columns(ex, params) -> list[tuple[str, Callable]]:
    """(heading, the row's value) per quantity: params, the loss, gradients, then node values."""
    from symbackprop.render.plain import pretty_name

    loss = pretty_name(ex.loss)
    # Each lambda binds its name as a default argument.
    columns: list[tuple[str, Callable]] = [(pretty_name(n), lambda row, n=n: row.params[n]) for n in params]
    columns.append((loss, lambda row: row.loss))
    columns += [(f"∂{loss}/∂{pretty_name(n)}", lambda row, n=n: row.gradients[n]) for n in params]
    columns += [(pretty_name(n), lambda row, n=n: row.nodes[n]) for n in ex.graph.nodes if n != ex.loss]
    return columns


Column = tuple[str, Callable]


def _tables(columns: list[Column], width: int) -> list[list[Column]]:
    """``columns`` split into tables, one under the other, each as many as fit ``width`` beside k.

    >>> [len(table) for table in _tables([("a", len)] * 7, STEP + 3 * (CELL + 1))]
    [3, 3, 1]
    """
    tables: list[list[Column]] = [[]]
    used = STEP
    for column in columns:
        wide = 1 + max(CELL, len(column[0]))
        if tables[-1] and used + wide > width:
            tables.append([])
            used = STEP
        tables[-1].append(column)
        used += wide
    return tables


def _lines(tables: list[list[Column]], rows: list) -> Iterator[str]:
    """The tables as text, a step a row, each led by the step k.

    Written without a layout engine: ten thousand rows take a fraction of a second this way.

    >>> rows = [type("Row", (), {"step": 0, "loss": 0.5})()]
    >>> print("\\n".join(_lines([[("L", lambda row: row.loss)]], rows)))
         k            L
    ------ ------------
         0          0.5
    """
    for index, table in enumerate(tables):
        widths = [max(CELL, len(heading)) for heading, _ in table]
        if index:
            yield ""
        yield f"{'k':>{STEP}}" + "".join(f" {heading:>{w}}" for (heading, _), w in zip(table, widths, strict=True))
        yield "-" * STEP + "".join(" " + "-" * w for w in widths)
        for row in rows:
            cells = (f" {number(value(row)):>{w}}" for (_, value), w in zip(table, widths, strict=True))
            yield f"{row.step:>{STEP}}" + "".join(cells)
