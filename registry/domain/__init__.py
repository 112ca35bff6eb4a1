"""Pure domain: numbers, access codes, commitments, calendars, rules, families (no I/O, no chain)."""
