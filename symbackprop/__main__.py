"""``python -m symbackprop``."""

from symbackprop.cli import main

main()
