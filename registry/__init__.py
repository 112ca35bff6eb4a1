"""The priority registry: application numbers, commitments, priority rules and families, and the
client that anchors them on an EVM ledger (see ../shared/DESIGN.md)."""

__version__ = "0.1.0"
