"""HTTP facade of the priority registry (API.md): authenticate, validate, call ``registry``."""
