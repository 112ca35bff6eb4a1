"""One router per resource (API.md, "Resources")."""
