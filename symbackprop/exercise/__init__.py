"""Exercises: the model, loading files and ad-hoc equations, [layers], the catalog, quantities."""
