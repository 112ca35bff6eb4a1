"""``python -m registry.cli``: the same as ``prioreg``."""

from registry.cli import main

main()
