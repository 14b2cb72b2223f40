"""``derive --form layer`` and ``[vectors]``: the layer rules of a ``[layers]`` net and ∂L/∂w of a param vector."""

from __future__ import annotations

from symbackprop.cli.app import console, number, print_json


def vectors_json(derivation) -> dict:
    """``derive --json``'s ``vectors`` for an exercise that declares [vectors] (nothing otherwise)."""
    from symbackprop.engine.vectors import vector_gradients
    from symbackprop.render.vectors import vector_dict

    if not derivation.exercise.vectors:
        return {}
    return {"vectors": [vector_dict(gradient) for gradient in vector_gradients(derivation)]}


def print_vectors(out, derivation) -> None:
    """∂L/∂w for each [vectors] param vector, as lecture 002 writes it."""
    from rich.panel import Panel
    from rich.text import Text

    from symbackprop.engine.vectors import vector_gradients
    from symbackprop.render.vectors import vector_lines

    loss = derivation.exercise.loss
    for gradient in vector_gradients(derivation):
        title = Text(f"∂{loss}/∂{gradient.name}, {gradient.name} = [{', '.join(gradient.entries)}]", style="bold")
        out.print(Panel(Text("\n".join(vector_lines(gradient, loss))), title=title, title_align="left"))


def check_layer_options(wrt: list[str], as_latex: bool) -> None:
    """--form layer shows every rule of the net: --wrt has nothing to pick, and LaTeX is `latex --form layer`."""
    from symbackprop.errors import SymbackpropError

    if wrt:
        raise SymbackpropError("--form layer shows the rules of every layer; --wrt picks no param there", key="--wrt")
    if as_latex:
        raise SymbackpropError("for the layer rules as LaTeX use: symbackprop latex EX --form layer", key="--latex")


def _layer_rules(ex, derivation):
    """The layer rules and, at a point, their instances beside the scalar engine's values."""
    from symbackprop.engine.derivation import Derivation
    from symbackprop.engine.layer_rules import derive_rules, instances

    rules = derive_rules(ex)
    return rules, instances(ex, rules, derivation) if isinstance(derivation, Derivation) else None


def layer_json(ex, derivation) -> dict:
    """``derive --json``'s ``layer`` for an exercise with [layers] (empty for a [graph])."""
    from symbackprop.errors import SymbackpropError
    from symbackprop.render.layer_rules import layer_dict

    if not ex.layers:
        return {}
    try:
        rules, found = _layer_rules(ex, derivation)
    except SymbackpropError:  # a net the rules do not cover (softmax with sse, [data]): its gradients stand alone
        return {"layer": None}
    return {"layer": layer_dict(rules, found)}


def layer_form(ex, derivation, as_json: bool, heading, text) -> None:
    """``--form layer``: the convention, each layer's activation, the rules and their instances."""
    from rich.table import Table
    from rich.text import Text

    from symbackprop.engine.derivation import gradients
    from symbackprop.engine.layer_forms import rule_forms
    from symbackprop.render.json import derivation_dict
    from symbackprop.render.layer_rules import convention_text, layer_dict

    rules, found = _layer_rules(ex, derivation)
    if as_json:
        print_json(derivation_dict(derivation, gradients(derivation), None) | {"layer": layer_dict(rules, found)})
        return
    out = console()
    out.print(heading(derivation))
    out.print(Text(f"convention: {convention_text(rules.convention)}", style="bold"))
    for layer, name in enumerate(rules.net.activations, 1):
        slope = "" if name == "softmax" else f", f′(net) = {text(dict(rules.derivatives)[name])}"
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
