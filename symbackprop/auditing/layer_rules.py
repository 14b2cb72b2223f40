"""``audit`` of the general layer rules a lecture prints (``[stated]`` keys ``rule:NAME``).

The stated rule is read by the answers' whitelist reader, in index or matrix form, and compared
with the rule derived from the exercise's ``[layers]`` net, on the net at several points
(:mod:`symbackprop.judge.layer_rule`): the same words name a mistake in a slide and in an answer.
"""

from __future__ import annotations

from functools import cached_property

from symbackprop.auditing.report import AuditEntry
from symbackprop.engine.layer_forms import rule_forms
from symbackprop.engine.layer_rules import rule_key
from symbackprop.errors import ParseError, SymbackpropError
from symbackprop.exercise.model import Exercise
from symbackprop.judge.layer_rule import LayerRuleJudge, is_index_form
from symbackprop.parse.layer_rule import parse_layer_rule


class RuleAudit:
    """Checks stated layer rules against the derived ones, for one exercise."""

    def __init__(self, exercise: Exercise):
        self.exercise = exercise

    @cached_property
    def judge(self) -> LayerRuleJudge:
        """The judge, with the exercise's rules derived once."""
        return LayerRuleJudge(self.exercise)

    def __call__(self, key: str, text: str) -> AuditEntry:
        """The verdict on one stated rule: match, or mismatch with the mistake named and the derived rule."""
        name = rule_key(key)
        assert name is not None, f"{key!r} is no rule: key"  # the checker sends rule: keys only
        ex = self.exercise
        try:
            rule = self.judge.rules.rule(name)
        except SymbackpropError as error:
            raise SymbackpropError(error.message, source=ex.path or ex.id, key=f"stated.{key}") from None
        forms = rule_forms(rule)
        try:
            tree = parse_layer_rule(text)
        except ParseError as error:
            return AuditEntry(ex.id, key, text, forms["index"], "not_checkable", f"cannot read it: {error}")
        # The derived rule in the form and syntax the slide uses: index or matrix, LaTeX or plain.
        form = "index" if is_index_form(tree) else "matrix"
        derived = forms[("latex" if form == "index" else "matrix_latex") if "\\" in text else form]
        judgement = self.judge.judge(tree, rule)
        if judgement.correct:
            return AuditEntry(ex.id, key, text, derived, "match")
        return AuditEntry(ex.id, key, text, derived, "mismatch", judgement.feedback, suggestion=derived)
