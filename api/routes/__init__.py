"""One router per resource (docs/api.md#resources)."""
