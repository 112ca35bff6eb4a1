"""``prioreg`` as an operator outside the repository meets it: its help, its refusals, its exit statuses."""
