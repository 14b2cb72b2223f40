"""``symbackprop list`` and ``symbackprop show``."""

from __future__ import annotations

from typing import Annotated

import typer

from symbackprop.cli.common import app, console, print_json, reports_errors


@app.command("list")
@reports_errors
def list_exercises(
    as_json: Annotated[bool, typer.Option("--json", help="Print the catalog as JSON.")] = False,
) -> None:
    """The catalog of built-in exercises, grouped by lecture."""
    from rich.table import Table

    from symbackprop.exercise import catalog

    entries = catalog.entries()
    if as_json:
        print_json(
            [
                {"id": e.id, "title": e.title, "lecture": e.lecture, "source": e.source, "path": str(e.path)}
                for e in entries
            ]
        )
        return
    out = console()
    for deck in dict.fromkeys(entry.deck for entry in entries):
        lecture = [entry for entry in entries if entry.deck == deck]
        heading = lecture[0].lecture + (f"  ({deck})" if deck and deck != lecture[0].lecture else "")
        table = Table(title=heading, title_justify="left", show_edge=False, pad_edge=False)
        table.add_column("id", style="bold cyan", no_wrap=True)
        table.add_column("title")
        table.add_column("example")
        for entry in lecture:
            table.add_row(entry.id, entry.title, entry.source.partition(" — ")[2])
        out.print(table)
        out.print()


@app.command()
@reports_errors
def show(
    exercise: Annotated[str, typer.Argument(help="A catalog id or a path to a .toml file.")],
    dot: Annotated[bool, typer.Option("--dot", help="Write the graph as Graphviz DOT instead.")] = False,
    edge_labels: Annotated[bool, typer.Option(help="With --dot: label edges with their local derivatives.")] = False,
    values: Annotated[
        bool, typer.Option("--values", help="With --dot: each node's value and gradient (as micrograd's draw_dot).")
    ] = False,
) -> None:
    """The graph of an exercise: equations, roles, the point and a drawing of the edges."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.model import load
    from symbackprop.render.plain import pretty_name, unicode, value_text

    if edge_labels and not dot:
        raise SymbackpropError("labels the DOT graph's edges: give --dot too", key="--edge-labels")
    if values and not dot:
        raise SymbackpropError("draws on the DOT graph: give --dot too", key="--values")
    ex = load(exercise)
    if dot:
        import sys

        from symbackprop.engine.derivation import derive_available
        from symbackprop.render.dot import graph_dot, node_numbers

        numbers = node_numbers(derive_available(ex)) if values else None
        sys.stdout.write(graph_dot(ex, edge_labels, numbers) + "\n")
        return
    from rich.text import Text

    out = console()
    out.print(Text.assemble((ex.id, "bold"), f"  {ex.title}"))
    if ex.source:
        out.print(ex.source, style="dim")
    out.print()
    width = max(len(pretty_name(node)) for node in ex.equations)
    for node, rhs in ex.equations.items():
        out.print(f"  {pretty_name(node).rjust(width)} = {unicode(rhs)}")
    out.print()
    out.print(f"  loss    {pretty_name(ex.loss)}")
    out.print(f"  params  {', '.join(map(pretty_name, ex.params)) or '—'}")
    out.print(f"  inputs  {', '.join(map(pretty_name, ex.inputs)) or '—'}")
    if ex.point:
        point = ", ".join(f"{pretty_name(name)} = {value_text(value)}" for name, value in ex.point.items())
        out.print(f"  at      {point}")
    out.print()
    out.print(Text.assemble(("edges", "bold"), " (each name → the nodes computed from it)"))
    for name in ex.graph.order:
        children = ex.graph.children(name)
        if children:
            out.print(f"  {pretty_name(name).rjust(width)} → {', '.join(map(pretty_name, children))}")
