"""Office tokens: ``Authorization: Bearer <token>``, each bound to one ST.3 office (docs/api.md#who-is-calling).

The store lives in :mod:`registry.service.tokens`, shared with ``prioreg tokens`` (which mints and
revokes while a gateway runs): only SHA-256 hashes are kept, compared in constant time, and a
gateway's store follows its file so that a change applies within a second.
"""

from __future__ import annotations

from registry.service.tokens import TokenStore, mint_token

__all__ = ["TokenStore", "mint_token"]
