"""Rendering: plain and Unicode text, LaTeX, Graphviz, JSON."""
