"""Readers of written expressions (plain and LaTeX): whitelists, no eval or sympify."""
