"""Judging written work, shared by audit and grading: precision, equivalence, the usual mistakes."""
