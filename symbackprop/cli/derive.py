"""``symbackprop derive``: the chain rule for each param, the way the lecture writes it."""

from __future__ import annotations

import functools
from typing import Annotated

import typer

from symbackprop.cli.common import app, console, number, parse_assignments, print_json, reports_errors, warn
from symbackprop.render.forms import forms_help

CLOSED_DISPLAY_LIMIT = 600  # characters; a longer closed form is shown only with --form closed
CLOSED_DISPLAY_NODES: int | None = None  # nodes; None: the engine's CLOSED_MAX_SIZE. Larger is measured, not printed
# With more params than ALL_IN_FULL, the first FULL_PARAMS are shown in full and the rest one line
# each (52 panels of 16 paths are neither readable nor quick); params named with --wrt are all in full.
ALL_IN_FULL = 8
FULL_PARAMS = 3


@functools.cache
def _text():
    """The terminal's printer, printing each distinct expression once: a dense net's paths share their factors."""
    from symbackprop.render.plain import memoized, unicode

    return memoized(unicode)


def _fraction(top: str, bottom: str) -> str:
    from symbackprop.render.plain import pretty_name

    return f"∂{pretty_name(top)}/∂{pretty_name(bottom)}"


def _load(exercise: str | None, equations: list[str], wrt: list[str]):
    from symbackprop.errors import SymbackpropError
    from symbackprop.exercise.catalog import DEFAULT_EXERCISE
    from symbackprop.exercise.model import from_equations, load, parse_equation_line

    if equations:
        if exercise is not None:
            raise SymbackpropError("give an exercise or -e equations, not both", key="-e")
        pairs = [parse_equation_line(line, index) for index, line in enumerate(equations, 1)]
        return from_equations(pairs, params=wrt or None, id="equations", file="-e", keys="-e")
    return load(exercise or DEFAULT_EXERCISE)


def _delta_term(loss: str, child: str, local) -> str:
    """One term of δₙ's recursion: δ_child · ∂child/∂node, or the loss's own local derivative alone."""
    from symbackprop.render.plain import delta_symbol

    factor = _text()(local)
    if child == loss:
        return factor
    if local == 1:
        return delta_symbol(child)
    # A sum is one factor of the product (δᵤ·(2·w + 1), not δᵤ·2·w + 1), and so is a
    # negative one: δ_y·(-1), not δ_y·-1.
    if local.is_Add or factor.startswith("-"):
        factor = f"({factor})"
    return f"{delta_symbol(child)}·{factor}"


def _delta_step(gradient, step, negated: bool) -> tuple[str, str]:
    """One step of the δ recursion as (left side, right side), under the exercise's δ sign.

    A node's δ is Σ δ_c·∂c/∂n under either sign (the signs cancel); from the loss itself it is
    ±∂L/∂n. The param's own step is ∂L/∂P = ±Σ δ_c·∂c/∂P, − when δ = −∂L/∂n.
    """
    from symbackprop.render.plain import delta_symbol

    loss = gradient.loss
    if step.node == gradient.wrt:
        terms = [_delta_term(loss, child, local) for child, local in step.terms]
        right = " + ".join(terms)
        if negated and not (len(step.terms) == 1 and step.terms[0][0] == loss):
            right = f"-{right}" if len(terms) == 1 else f"-({right})"
        return _fraction(loss, step.node), right
    sign = "-" if negated else ""
    terms = [
        _text()(-local if negated else local) if child == loss else _delta_term(loss, child, local)
        for child, local in step.terms
    ]
    return f"{delta_symbol(step.node)} = {sign}{_fraction(loss, step.node)}", " + ".join(terms)


# Columns the panel takes around the paths table: its borders and padding, the widest form
# label ("closed") and the grid's padding after it.
PANEL_MARGIN = 4 + 6 + 2


def _paths(gradient, width: int):
    """Each path with its product of local derivatives, then their sum, one term a line.

    A path and its product share a line where ``width`` allows; otherwise the product goes on
    the line below its path, broken between factors if it is still too long. Each value stands
    level with the last line of its row; a cell that still does not fit folds, losing nothing.
    """
    from rich.cells import cell_len
    from rich.table import Table
    from rich.text import Text

    from symbackprop.engine.derivation import values_to_show
    from symbackprop.render.plain import pretty_name

    shown = values_to_show(gradient)
    listed = [
        (str(index), " → ".join(pretty_name(node) for node in path.nodes), path.product_text(_text(), "·"), value)
        for index, (path, value) in enumerate(zip(gradient.paths, shown.paths, strict=True), 1)
    ]
    values = [f"= {number(value)}" for *_, value in listed] + [f"= {number(shown.value)}"]
    terms = gradient.path_sum_terms(_text(), "·")
    note = f"{gradient.paths_omitted} more of {gradient.paths_total} paths not listed"
    value_width = max(map(cell_len, values))
    # The two middle columns side by side: the widest path, the widest product or sum term.
    routes = [route for _, route, _, _ in listed] + ["sum", note if gradient.paths_omitted else ""]
    products = [product for _, _, product, _ in listed] + (terms or [])
    index_width = max(cell_len(index) for index in ("Σ", *(index for index, *_ in listed)))
    side_by_side = (
        PANEL_MARGIN + index_width + max(map(cell_len, routes)) + max(map(cell_len, products)) + value_width + 3 * 2
        <= width
    )
    # Otherwise path and product share one column, between the index and the value.
    room = width - PANEL_MARGIN - index_width - value_width - 2 * 2
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True)
    for _ in range(2 if side_by_side else 1):
        table.add_column(overflow="fold")
    table.add_column(no_wrap=True, vertical="bottom")

    def row(index: str, route: str, product: str, value: str) -> None:
        if side_by_side:
            table.add_row(index, Text(route), Text(product), value)
        else:
            table.add_row(index, Text("\n".join(filter(None, (route, product)))), value)

    for (index, route, product, _), value in zip(listed, values[:-1], strict=True):
        row(index, route, product if side_by_side else _break_between_factors(product, room), value)
    if gradient.paths_omitted:
        row("…", note, "", "")
    if gradient.paths_total != 1:
        if terms is None:
            row("Σ", "sum over all paths", "", values[-1])
        elif side_by_side:
            row("Σ", "sum", "\n".join(terms), values[-1])
        else:
            indent = " " * len("sum = ")
            lines = "\n".join(_break_between_factors(term, room - len(indent)) for term in terms)
            row("Σ", "sum = " + lines.replace("\n", "\n" + indent), "", values[-1])
    return table


def _break_between_factors(product: str, width: int) -> str:
    """``product`` on as many lines as it needs to stay within ``width``, each new one from a ·.

    Only a · outside parentheses and brackets starts a line: a factor stays whole.

    >>> print(_break_between_factors("-(t - y)·w₄·h₂(1 - h₂)·x", 16))
    -(t - y)·w₄
    ·h₂(1 - h₂)·x
    >>> print(_break_between_factors("a/(b·c)·d", 6))
    a/(b·c)
    ·d
    """
    from rich.cells import cell_len

    from symbackprop.parse.forms import split_top_level

    lines = [""]
    for factor in split_top_level(product, "·"):
        if not lines[-1]:
            lines[-1] = factor
        elif cell_len(lines[-1]) + 1 + cell_len(factor) <= width:
            lines[-1] += "·" + factor
        else:
            lines.append("·" + factor)
    return "\n".join(lines)


def _render(
    gradient, forms: frozenset[str], closed_explicit: bool, width: int, closed_limit: int | None, negated: bool
):
    """One gradient as a rich panel, ``width`` columns wide at most: a row per form asked for, then the value."""
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    from symbackprop.engine.derivation import Gradient

    lhs = _fraction(gradient.loss, gradient.wrt)
    grid = Table.grid(padding=(0, 2))
    grid.add_column(style="bold cyan", no_wrap=True)
    grid.add_column()
    # A single edge's chain rule only says ∂L/∂P = ∂L/∂P, and beside the paths it repeats their
    # list of nodes: shown when asked for alone.
    if "chain" in forms and (forms == {"chain"} or not (gradient.single_edge or "paths" in forms)):
        grid.add_row("chain", Text(_chain(gradient, lhs, width)))
    if "paths" in forms:
        grid.add_row("paths", _paths(gradient, width))
    if "delta" in forms:
        grid.add_row("delta", _delta(gradient, negated))
    if "closed" in forms:
        grid.add_row("closed", Text(f"{lhs} = {_closed(gradient, closed_explicit, closed_limit)}"))
    if isinstance(gradient, Gradient):
        grid.add_row("value", Text(f"{lhs} = {_value(gradient, 'closed' in forms)}", style="bold"))
    title = Text.assemble((lhs, "bold"), f"  ({gradient.paths_total} path{'s' if gradient.paths_total != 1 else ''})")
    return Panel(grid, title=title, title_align="left")


def _chain(gradient, lhs: str, width: int) -> str:
    """The chain rule along every path, one path a line, each broken between factors to fit."""
    indent = " " * (len(lhs) + len(" + "))
    room = width - PANEL_MARGIN - len(indent)
    chains = [path.chain_text(_fraction, "·") for path in gradient.paths]
    lines = [_break_between_factors(chain, room).replace("\n", "\n" + indent) for chain in chains]
    return f"{lhs} = " + f"\n{' ' * len(lhs)} + ".join(lines or ["0"])


def _delta(gradient, negated: bool):
    """The δ recursion from the loss back, each δ with its value, then ∂L/∂P from the δs."""
    from rich.table import Table

    from symbackprop.engine.derivation import values_to_show

    rows = Table.grid(padding=(0, 1))
    for step, value in zip(gradient.delta, values_to_show(gradient).delta, strict=True):
        left, right = _delta_step(gradient, step, negated)
        # A δ's value is ±∂L/∂n; the param's own step is ∂L/∂P whatever the sign.
        if negated and value is not None and step.node != gradient.wrt:
            value = -value
        rows.add_row(left, f"= {right}", f"= {number(value)}")
    return rows


def _closed(gradient, explicit: bool, limit: int | None) -> str:
    """The closed form, or its size (JSON's closed_size) where it is too long to show unless asked for alone."""
    from symbackprop.render.plain import unicode

    # Counted before it is printed: a dense net's closed form takes seconds to print.
    if not explicit and gradient.closed_within(limit) is None:
        return f"… closed_size = {gradient.closed_size} (over {limit} terms and factors: --form closed prints it)"
    closed = unicode(gradient.closed)
    if len(closed) > CLOSED_DISPLAY_LIMIT and not explicit:
        return f"… closed_size = {gradient.closed_size} ({len(closed)} characters: --form closed prints it)"
    return closed


def _value(gradient, with_exact: bool) -> str:
    """The value at the point, after its exact form (2π − 3 ≈ 3.28319) when the closed form is shown."""
    from symbackprop.render.plain import unicode

    value = number(gradient.value)
    exact = gradient.exact if with_exact else None
    if exact is not None and not exact.is_Integer:
        return f"{unicode(exact)} ≈ {value}"
    return value


@app.command()
@reports_errors
def derive(
    exercise: Annotated[
        str | None, typer.Argument(help="A catalog id or a .toml file (default: two-branch-sigmoid).")
    ] = None,
    wrt: Annotated[list[str], typer.Option("--wrt", help="Differentiate with respect to P (repeatable).")] = [],  # noqa: B006
    form: Annotated[
        str, typer.Option(help=forms_help().removesuffix(".") + "; layer: the general rules of a [layers] net.")
    ] = "all",
    at: Annotated[list[str], typer.Option("--at", help="NAME=VALUE: evaluate at another point.")] = [],  # noqa: B006
    equation: Annotated[
        list[str], typer.Option("-e", "--equation", help='An ad-hoc graph: -e "E = (t - sigmoid(w*x))**2/2".')
    ] = [],  # noqa: B006
    max_paths: Annotated[int, typer.Option(help="List at most this many paths per param.", min=1)] = 64,
    as_json: Annotated[bool, typer.Option("--json", help="Print the derivation as JSON (SPEC §3).")] = False,
    as_latex: Annotated[
        bool, typer.Option("--latex", help="Print the forms as LaTeX align* blocks (as symbackprop latex).")
    ] = False,
    closed_limit: Annotated[
        int | None,
        typer.Option(help="Print a closed form of at most N nodes, else its size (default 300; 0: any size).", min=0),
    ] = None,
) -> None:
    """The chain rule for dL/dP: each path's local factors, their sum, the δ form, closed form, value."""
    from rich.console import Group

    from symbackprop.engine.derivation import derive_available, gradients
    from symbackprop.engine.symbolic import CLOSED_MAX_SIZE
    from symbackprop.errors import SymbackpropError
    from symbackprop.render.forms import selected_forms
    from symbackprop.render.json import derivation_dict
    from symbackprop.render.plain import delta_convention, delta_negated

    if form == "layer":
        _check_layer_options(wrt, as_latex, as_json, closed_limit)
    else:
        _check_options(form, as_json, as_latex)
    ex = _load(exercise, equation, wrt)
    warn(ex.warnings)
    derivation = derive_available(ex, at=parse_assignments(at, "--at"), max_paths=max_paths)
    if form == "layer" and not as_json:
        _layer_form(ex, derivation)
        return
    found = gradients(derivation, wrt)
    if not found:
        where = {"key": "-e"} if equation else {"source": ex.path, "key": "roles.params"}
        raise SymbackpropError("nothing to differentiate: no input or param (or give --wrt)", **where)
    # Read here, not as the option's default, so that a test may lower the module's bound.
    limit = (CLOSED_DISPLAY_NODES or CLOSED_MAX_SIZE) if closed_limit is None else (closed_limit or None)
    if as_json:
        from symbackprop.render.layer_rules import layer_json
        from symbackprop.render.vectors import vectors_json

        # --form layer --json is plain --json (one copy of the layer block), which must then hold the rules.
        layer = _layer_block(ex, derivation) if form == "layer" else layer_json(ex, derivation)
        print_json(derivation_dict(derivation, found, limit) | layer | vectors_json(derivation))
        return
    if as_latex:
        import sys

        from symbackprop.render.latex_solution import closed_bounds, derivation_latex

        bound = {} if closed_limit is None else closed_bounds(closed_limit)
        sys.stdout.write(derivation_latex(derivation, list(found), form, **bound))
        return
    out = console()
    out.print(_heading(derivation))
    forms = selected_forms(form)
    negated = delta_negated(ex.conventions.delta_sign)
    if "delta" in forms:
        out.print(delta_convention(ex.loss, ex.conventions.delta_sign), style="dim", highlight=False)
    listed = list(found.values())
    full = listed if wrt or len(listed) <= ALL_IN_FULL else listed[:FULL_PARAMS]
    panels = [_render(gradient, forms, form == "closed", out.width, limit, negated) for gradient in full]
    out.print(Group(*panels))
    if len(full) < len(listed):
        out.print(_summary(listed[len(full) :], form == "delta", negated))
    if ex.vectors:
        _print_vectors(out, derivation)


def _print_vectors(out, derivation) -> None:
    """∂L/∂w for each [vectors] param vector, as lecture 002 writes it."""
    from rich.panel import Panel
    from rich.text import Text

    from symbackprop.engine.vectors import vector_gradients
    from symbackprop.render.vectors import vector_lines

    loss = derivation.exercise.loss
    for gradient in vector_gradients(derivation):
        title = Text(f"∂{loss}/∂{gradient.name}, {gradient.name} = [{', '.join(gradient.entries)}]", style="bold")
        out.print(Panel(Text("\n".join(vector_lines(gradient, loss))), title=title, title_align="left"))


def _check_layer_options(wrt: list[str], as_latex: bool, as_json: bool, closed_limit: int | None) -> None:
    """--form layer shows every rule of the net: --wrt has nothing to pick, and LaTeX is `latex --form layer`."""
    from symbackprop.errors import SymbackpropError

    if wrt:
        raise SymbackpropError("--form layer shows the rules of every layer; --wrt picks no param there", key="--wrt")
    if as_latex:
        raise SymbackpropError("for the layer rules as LaTeX use: symbackprop latex EX --form layer", key="--latex")
    if closed_limit is not None and not as_json:
        # The terminal's layer form prints no closed form; with --json it bounds the gradients' closed forms.
        raise SymbackpropError("--form layer prints no closed form (it bounds those of --json)", key="--closed-limit")


def _layer_block(ex, derivation) -> dict:
    """``--json``'s ``layer`` block, an error when the net's rules cannot be derived (--form layer asks for them)."""
    from symbackprop.engine.layer_rules import rules_at
    from symbackprop.render.layer_rules import layer_dict

    rules, found = rules_at(ex, derivation)
    return {"layer": layer_dict(rules, found)}


def _layer_form(ex, derivation) -> None:
    """``--form layer``: the convention, each layer's activation, the rules and their instances."""
    from rich.table import Table
    from rich.text import Text

    from symbackprop.engine.layer_forms import rule_forms
    from symbackprop.engine.layer_rules import rules_at
    from symbackprop.render.layer_rules import convention_text

    rules, found = rules_at(ex, derivation)
    out = console()
    out.print(_heading(derivation))
    out.print(Text(f"convention: {convention_text(rules.convention)}", style="bold"))
    for layer, name in enumerate(rules.net.activations, 1):
        slope = "" if name == "softmax" else f", f′(net) = {_text()(dict(rules.derivatives)[name])}"
        out.print(f"layer {layer}: f = {name}{slope}")
    out.print(Text("\nlayer rules, each in index form and in matrix form:", style="bold"))
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column(overflow="fold")
    for rule in rules.rules:
        forms = rule_forms(rule)
        note = f"\n({rule.note})" if rule.note else ""
        table.add_row(rule.name, Text(f"{forms['index']}\n{forms['matrix']}{note}"))
    out.print(table)
    if found is None:
        out.print(Text("no point: the rules are not instantiated", style="dim"))
        return
    out.print(Text("\neach rule at each unit and weight, beside the scalar engine:", style="bold"))
    checks = Table.grid(padding=(0, 2))
    checks.add_row(*(Text(column, style="dim") for column in ("quantity", "rule", "value", "engine", "")))
    for item in found:
        agrees = abs(item.value - item.engine) <= 1e-9 * max(1.0, abs(item.engine))
        checks.add_row(item.quantity, item.rule, number(item.value), number(item.engine), "✓" if agrees else "✗")
    out.print(checks)


def _summary(rest, with_delta: bool, negated: bool):
    """One line per param past the first few: its value and number of paths, and its own δ step on request."""
    from rich.console import Group
    from rich.table import Table
    from rich.text import Text

    from symbackprop.engine.derivation import values_to_show

    note = Text(
        f"{len(rest)} more params, one line each (the first {FULL_PARAMS} are in full above; "
        "--wrt P shows any param in full)",
        style="dim",
    )
    table = Table.grid(padding=(0, 2))
    for gradient in rest:
        lhs = _fraction(gradient.loss, gradient.wrt)
        paths = f"{gradient.paths_total} path{'s' if gradient.paths_total != 1 else ''}"
        cells: list[Text | str] = [Text(lhs, style="bold"), f"= {number(values_to_show(gradient).value)}", paths]
        if with_delta and gradient.delta:
            own = gradient.delta[-1]  # ∂L/∂P itself: the last step of its δ recursion
            cells.append(f"{lhs} = {_delta_step(gradient, own, negated)[1]}")
        table.add_row(*cells)
    return Group(note, table)


def _check_options(form: str, as_json: bool, as_latex: bool) -> None:
    """--form names a form; --json and --latex exclude each other, and --json a single form."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.render.forms import selected_forms

    selected_forms(form)  # an unknown form is an error before anything is derived
    if as_json and as_latex:
        raise SymbackpropError("give --json or --latex, not both", key="--latex")
    if as_json and form != "all":
        # JSON keeps every field of the contract; dropping the option silently would mislead, so say so.
        raise SymbackpropError(
            "--form selects what the terminal and --latex show; --json gives every form", key="--form"
        )


def _heading(derivation):
    """The exercise's id and title, the point (when there is one) and, with data, how values gather."""
    from rich.text import Text

    from symbackprop.engine.derivation import Derivation
    from symbackprop.render.plain import pretty_name, value_text

    ex = derivation.exercise
    heading = Text.assemble((ex.id, "bold"), f"  {ex.title}" if ex.title else "")
    if isinstance(derivation, Derivation):
        point = ", ".join(f"{pretty_name(n)} = {value_text(v)}" for n, v in derivation.point.items())
        heading.append(f"\nat {point}", style="dim")
    if ex.samples > 1:
        # The formulas below are one sample's; each value is their sum (or mean) over the data.
        names = ", ".join(pretty_name(name) for name in ex.data)
        heading.append(
            f"\nformulas per sample; values {ex.gathered} over the {ex.samples} samples of {names}", style="dim"
        )
    return heading
