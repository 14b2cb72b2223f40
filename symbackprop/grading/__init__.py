"""Grading: questions, the grader, a class under worker processes, answers files and reports."""
