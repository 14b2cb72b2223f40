"""The independent NumPy checker: its own derivative rules, finite differences, and the comparison."""
