"""The layer rules for the terminal and ``derive --json``: the convention in words, the rules and instances as data."""

from __future__ import annotations

from symbackprop.engine.layer_forms import rule_forms
from symbackprop.engine.layer_rules import CONVENTION_TEXT, Instance, LayerRules, rules_at
from symbackprop.errors import SymbackpropError
from symbackprop.parse.printer import plain


def convention_text(convention: str) -> str:
    """The sign convention in force, in words.

    >>> convention_text("-dL/dnet")
    'δ = −∂L/∂net (lecture 001), [conventions] delta_sign = "-dL/dnet"'
    """
    return f'{CONVENTION_TEXT[convention]}, [conventions] delta_sign = "{convention}"'


def layer_dict(rules: LayerRules, found: list[Instance] | None) -> dict:
    """``derive --json``'s ``layer``: the convention, each rule's forms, each instance with the engine's value."""
    return {
        "convention": rules.convention,
        "rules": [rule_forms(rule) | {"note": rule.note} for rule in rules.rules],
        "activations": [
            {"layer": layer, "activation": name, "derivative": plain(dict(rules.derivatives)[name])}
            for layer, name in enumerate(rules.net.activations, 1)
            if name != "softmax"
        ],
        "instances": [
            {"quantity": item.quantity, "rule": item.rule, "value": item.value, "engine": item.engine}
            for item in found or []
        ],
    }


def layer_json(exercise, derivation) -> dict:
    """``derive --json``'s ``layer`` for an exercise with [layers] (nothing for a [graph])."""
    if not exercise.layers:
        return {}
    try:
        rules, found = rules_at(exercise, derivation)
    except SymbackpropError:  # a net the rules do not cover (softmax with sse, [data]): its gradients stand alone
        return {"layer": None}
    return {"layer": layer_dict(rules, found)}
