"""Office tokens (API.md "Who is calling"; SECURITY.md): hashed at rest, bound to one office."""

from __future__ import annotations

import json
from pathlib import Path

from api.auth import TokenStore


def test_tokens_are_kept_only_as_hashes_on_disk_and_owner_readable(tmp_path: Path) -> None:
    store = TokenStore()
    token = store.issue("EP")
    path = tmp_path / "tokens.json"
    store.save(path)
    text = path.read_text()
    assert token not in text
    assert path.stat().st_mode & 0o777 == 0o600
    assert TokenStore.load(path).office_for(token) == "EP"


def test_a_token_opens_only_its_own_office_and_a_reissued_token_replaces_the_old(tmp_path: Path) -> None:
    store = TokenStore()
    ep, us = store.issue("EP"), store.issue("US")
    assert store.office_for(ep) == "EP"
    assert store.office_for(us) == "US"
    assert store.office_for(ep + "x") is None
    assert store.office_for("") is None
    renewed = store.issue("EP")
    assert store.office_for(ep) is None
    assert store.office_for(renewed) == "EP"


def test_an_operator_tokens_file_is_adopted_as_hashes(tmp_path: Path) -> None:
    store = TokenStore()
    store.adopt("JP", "prt_operator-chosen-token")
    path = tmp_path / "hashes.json"
    store.save(path)
    assert "operator-chosen" not in path.read_text()
    assert json.loads(path.read_text()).keys() == {"JP"}
