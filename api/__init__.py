"""HTTP facade of the priority registry (docs/api.md): authenticate, validate, call ``registry``."""
