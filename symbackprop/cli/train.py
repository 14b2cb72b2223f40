"""``symbackprop train``: the lecture's gradient-descent table, one row per step."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

import typer

from symbackprop.cli.app import app, console, number, print_json, reports_errors, warn


@app.command()
@reports_errors
def train(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a .toml file.")],
    lr: Annotated[float | None, typer.Option("--lr", help="Learning rate η (default: the exercise's [train]).")] = None,
    steps: Annotated[
        int | None, typer.Option("--steps", help="Number of updates (default: the exercise's [train]).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the table as JSON (SPEC §3).")] = False,
) -> None:
    """Gradient descent from the exercise's point: params, node values, loss and gradients per step."""
    from symbackprop.engine.train import settings, train_dict
    from symbackprop.engine.train import train as run
    from symbackprop.exercise.model import load

    ex = load(exercise)
    warn(ex.warnings)
    lr, steps = settings(ex, lr, steps)
    rows = run(ex, lr=lr, steps=steps)
    if as_json:
        print_json(train_dict(ex, lr, rows))
        return
    out = console()
    out.print(_table(ex, lr, rows))
    if ex.data:
        reduce = "sum" if ex.reduce == "sum" else "mean"
        out.print(
            f"{ex.samples} samples: node values are the first sample's; "
            f"the loss and gradients are the {reduce} over all samples.",
            style="dim",
        )


WIDE = 8  # more quantities than this: one row per quantity, one column per step


def _table(ex, lr: float, rows):
    """The lecture's table: a column per quantity, or a row per quantity for a wide network."""
    from rich.table import Table

    from symbackprop.render.plain import pretty_name

    loss = pretty_name(ex.loss)
    # (heading, style, the row's value); each lambda binds its name as a default argument.
    columns: list[tuple[str, str, Callable[..., float]]] = [
        (pretty_name(name), "bold", lambda row, n=name: row.params[n]) for name in rows[0].params
    ]
    columns += [(pretty_name(n), "", lambda row, n=n: row.nodes[n]) for n in ex.graph.nodes if n != ex.loss]
    columns.append((loss, "bold", lambda row: row.loss))
    columns += [
        (f"∂{loss}/∂{pretty_name(name)}", "cyan", lambda row, n=name: row.gradients[n]) for name in rows[0].params
    ]
    table = Table(title=f"{ex.id}: η = {lr:g}", title_justify="left")
    if len(columns) <= WIDE:
        table.add_column("k", justify="right")
        for heading, style, _ in columns:
            table.add_column(heading, justify="right", style=style)
        for row in rows:
            table.add_row(str(row.step), *[number(value(row)) for _, _, value in columns])
        return table
    table.add_column("")
    for row in rows:
        table.add_column(f"k = {row.step}", justify="right")
    for heading, style, value in columns:
        table.add_row(heading, *[number(value(row)) for row in rows], style=style)
    return table
