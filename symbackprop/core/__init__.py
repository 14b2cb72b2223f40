"""The core: the graph's structure, the function library, losses and float values."""
