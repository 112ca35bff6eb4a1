"""Test helpers shared across the suite (real nodes, fixtures that more than one package uses)."""
