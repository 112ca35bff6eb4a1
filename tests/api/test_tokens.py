"""Office tokens (docs/api.md#who-is-calling; SECURITY.md): hashed at rest, bound to one office."""

from __future__ import annotations

import datetime as dt
import json
import time
from pathlib import Path

import pytest

from api.auth import TokenStore
from registry.errors import NotFound
from registry.service.tokens import RELOAD_INTERVAL, edit_tokens


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
    assert [t["office"] for t in json.loads(path.read_text())["tokens"].values()] == ["JP"]
    assert TokenStore.load(path).office_for("prt_operator-chosen-token") == "JP"


def test_the_first_file_format_is_still_read(tmp_path: Path) -> None:
    store = TokenStore()
    token = store.issue("EP")
    digest = store.list()[0].sha256
    path = tmp_path / "tokens.json"
    path.write_text(json.dumps({"EP": digest}))
    loaded = TokenStore.load(path)
    assert loaded.office_for(token) == "EP"
    assert [t.id for t in loaded.list()] == ["legacy-EP"]


def test_several_tokens_an_office_each_revocable_by_id() -> None:
    store = TokenStore()
    first, a = store.create("JP")
    second, b = store.create("JP")
    assert first.id != second.id
    assert store.office_for(a) == store.office_for(b) == "JP"
    store.revoke(first.id)
    assert store.office_for(a) is None
    assert store.office_for(b) == "JP"
    with pytest.raises(NotFound):
        store.revoke(first.id)


def test_an_expired_token_opens_nothing_but_is_still_listed() -> None:
    store = TokenStore()
    stored, token = store.create("JP", expires_in=dt.timedelta(days=1))
    assert store.office_for(token) == "JP"
    store._tokens[stored.id] = type(stored)(stored.id, "JP", stored.sha256, stored.created, stored.created)
    assert store.office_for(token) is None
    assert store.offices() == []
    assert [t.id for t in store.list()] == [stored.id]


def test_a_watching_store_sees_a_created_and_a_revoked_token_within_a_second(tmp_path: Path) -> None:
    watching = TokenStore.watching(tmp_path / "tokens.json")
    with edit_tokens(tmp_path) as store:
        stored, token = store.create("JP")
    deadline = time.monotonic() + 1.0
    while watching.office_for(token) is None and time.monotonic() < deadline:
        time.sleep(RELOAD_INTERVAL / 5)
    assert watching.office_for(token) == "JP"
    with edit_tokens(tmp_path) as store:
        store.revoke(stored.id)
    deadline = time.monotonic() + 1.0
    while watching.office_for(token) is not None and time.monotonic() < deadline:
        time.sleep(RELOAD_INTERVAL / 5)
    assert watching.office_for(token) is None
