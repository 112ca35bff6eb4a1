"""Office keys at rest: v3 keystore round trips, refusals, file hygiene and secret-free output."""

from __future__ import annotations

import io
import json
import logging
import os
import stat
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account

from registry.errors import InvalidOfficeCode, KeyNotFound, KeyStoreError, WrongPassphrase
from registry.ops.keys import KeyInfo, KeyStore, passphrase_from_env_or_prompt

PASSPHRASE = "correct horse battery staple"
# The well-known example key of the web3.py / eth-account documentation and its address.
KNOWN_KEY = "0x4c0883a69102937d6231471b5dbb6204fe5129617082792ae468d01a3f362318"
KNOWN_ADDRESS = "0x2c7536E3605D9C16a7a3D7b1898e529396a65c23"
SECP256K1_N = 0xFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFEBAAEDCE6AF48A03BBFD25E8CD0364141
FAST_N = 16  # scrypt N for tests: the default (2^18) costs about a second per operation


@pytest.fixture
def store(tmp_path: Path) -> KeyStore:
    return KeyStore(tmp_path / "keys", scrypt_n=FAST_N)


def _secret_forms(key_hex: str) -> list[str]:
    bare = key_hex.removeprefix("0x")
    return [bare.lower(), bare.upper()]


# -- round trips ----------------------------------------------------------------------------


def test_created_key_loads_back_as_the_same_account(store: KeyStore) -> None:
    info = store.create("EP", PASSPHRASE)
    account = store.load("EP", PASSPHRASE)
    assert account.address == info.address == store.address("EP")
    assert info.office == "EP"
    assert info.path == store.directory / "EP.json"


def test_two_offices_get_different_keys(store: KeyStore) -> None:
    assert store.create("EP", PASSPHRASE).address != store.create("US", PASSPHRASE).address


def test_office_code_is_read_case_insensitively_and_stored_canonically(store: KeyStore) -> None:
    info = store.create(" ep ", PASSPHRASE)
    assert info.path.name == "EP.json"
    assert store.load("ep", PASSPHRASE).address == info.address


def test_invalid_or_reserved_office_code_is_refused_before_anything_is_written(store: KeyStore) -> None:
    for bad in ("E", "EPO", "E1", "XX", "QM", "../EP"):
        with pytest.raises(InvalidOfficeCode):
            store.create(bad, PASSPHRASE)
    assert not store.directory.exists()


def test_imported_key_keeps_its_address(store: KeyStore) -> None:
    info = store.import_key("US", KNOWN_KEY, PASSPHRASE)
    assert info.address == KNOWN_ADDRESS
    assert store.load("US", PASSPHRASE).key.hex() == KNOWN_KEY.removeprefix("0x")


@pytest.mark.parametrize(
    "text", [KNOWN_KEY.removeprefix("0x"), KNOWN_KEY.upper().replace("0X", "0x"), f"  {KNOWN_KEY}\n"]
)
def test_import_accepts_hex_with_or_without_prefix_and_surrounding_space(store: KeyStore, text: str) -> None:
    assert store.import_key("US", text, PASSPHRASE).address == KNOWN_ADDRESS


@pytest.mark.parametrize(
    "text",
    [
        "zz" * 32,  # not hex
        "ab" * 31,  # too short
        "ab" * 33,  # too long
        "00" * 32,  # zero is no key
        f"{SECP256K1_N:064x}",  # the group order is out of range
        "",
    ],
)
def test_import_refuses_what_is_not_a_private_key_without_repeating_it(store: KeyStore, text: str) -> None:
    with pytest.raises(KeyStoreError) as excinfo:
        store.import_key("US", text, PASSPHRASE)
    if text:
        assert text not in str(excinfo.value)
    assert not store.path_for("US").exists()


def test_key_file_is_a_standard_v3_scrypt_keystore_that_eth_account_reads(store: KeyStore) -> None:
    info = store.import_key("US", KNOWN_KEY, PASSPHRASE)
    keyfile = json.loads(info.path.read_text())
    assert keyfile["version"] == 3
    assert keyfile["crypto"]["kdf"] == "scrypt"
    assert keyfile["crypto"]["cipher"] == "aes-128-ctr"
    assert keyfile["crypto"]["kdfparams"]["n"] == FAST_N
    # Interoperability: the file decrypts with eth-account alone, extra member and all.
    assert Account.decrypt(keyfile, PASSPHRASE).hex() == KNOWN_KEY.removeprefix("0x")


def test_real_keys_use_eth_account_default_scrypt_cost(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    seen: dict[str, Any] = {}
    real_encrypt = Account.encrypt

    def spy(private_key: bytes, password: str, kdf: str | None = None, iterations: int | None = None) -> Any:
        seen.update(kdf=kdf, iterations=iterations)
        return real_encrypt(private_key, password, kdf="scrypt", iterations=FAST_N)  # fast, but record the ask

    monkeypatch.setattr(Account, "encrypt", spy)  # the class registry.ops.keys calls
    KeyStore(tmp_path).create("EP", PASSPHRASE)
    assert seen == {"kdf": "scrypt", "iterations": None}  # None: eth-account's default (2^18)


@pytest.mark.parametrize("n", [0, 1, 3, 100])
def test_scrypt_cost_must_be_a_power_of_two(tmp_path: Path, n: int) -> None:
    with pytest.raises(KeyStoreError, match="power of two"):
        KeyStore(tmp_path, scrypt_n=n)


# -- refusals --------------------------------------------------------------------------------


def test_wrong_passphrase_raises_wrong_passphrase(store: KeyStore) -> None:
    store.create("EP", PASSPHRASE)
    with pytest.raises(WrongPassphrase, match="office EP") as excinfo:
        store.load("EP", "not the passphrase")
    assert isinstance(excinfo.value, KeyStoreError)
    assert "not the passphrase" not in str(excinfo.value)
    # Nothing of the failed decryption is chained on for a traceback to show.
    assert excinfo.value.__cause__ is None
    assert excinfo.value.__suppress_context__


def test_missing_key_raises_key_not_found(store: KeyStore) -> None:
    with pytest.raises(KeyNotFound, match="no key for office JP"):
        store.load("JP", PASSPHRASE)
    with pytest.raises(KeyNotFound):
        store.address("JP")
    with pytest.raises(KeyNotFound):
        store.info("JP")


def test_existing_key_is_not_overwritten_unless_asked(store: KeyStore) -> None:
    first = store.create("EP", PASSPHRASE)
    before = first.path.read_bytes()
    with pytest.raises(KeyStoreError, match="already has a key"):
        store.create("EP", PASSPHRASE)
    with pytest.raises(KeyStoreError, match="already has a key"):
        store.import_key("EP", KNOWN_KEY, PASSPHRASE)
    assert first.path.read_bytes() == before
    replaced = store.create("EP", "another passphrase", overwrite=True)
    assert replaced.address != first.address
    assert store.load("EP", "another passphrase").address == replaced.address


def test_empty_passphrase_is_refused(store: KeyStore) -> None:
    with pytest.raises(KeyStoreError, match="must not be empty"):
        store.create("EP", "")
    assert not store.path_for("EP").exists()


def test_altered_ciphertext_is_refused_like_a_wrong_passphrase(store: KeyStore) -> None:
    path = store.create("EP", PASSPHRASE).path
    keyfile = json.loads(path.read_text())
    ciphertext = keyfile["crypto"]["ciphertext"]
    keyfile["crypto"]["ciphertext"] = ("0" if ciphertext[0] != "0" else "1") + ciphertext[1:]
    path.write_text(json.dumps(keyfile))
    with pytest.raises(WrongPassphrase, match="altered"):
        store.load("EP", PASSPHRASE)


def test_address_label_that_does_not_match_the_key_is_refused(store: KeyStore) -> None:
    path = store.create("EP", PASSPHRASE).path
    keyfile = json.loads(path.read_text())
    keyfile["address"] = KNOWN_ADDRESS.removeprefix("0x")  # the address member is outside the MAC
    path.write_text(json.dumps(keyfile))
    assert store.address("EP") == KNOWN_ADDRESS
    with pytest.raises(KeyStoreError, match="another account") as excinfo:
        store.load("EP", PASSPHRASE)
    assert not isinstance(excinfo.value, WrongPassphrase)


@pytest.mark.parametrize("content", ["not json", "[]", '{"version": 4, "crypto": {}}', '{"version": 3}'])
def test_damaged_key_file_raises_key_store_error(store: KeyStore, content: str) -> None:
    store.directory.mkdir(parents=True)
    store.path_for("EP").write_text(content)
    with pytest.raises(KeyStoreError) as excinfo:
        store.load("EP", PASSPHRASE)
    assert not isinstance(excinfo.value, (KeyNotFound, WrongPassphrase))


# -- the file on disk ----------------------------------------------------------------------


def test_key_file_holds_no_private_key_and_is_private_to_its_owner(store: KeyStore) -> None:
    info = store.import_key("US", KNOWN_KEY, PASSPHRASE)
    raw = info.path.read_text()
    for secret in [*_secret_forms(KNOWN_KEY), PASSPHRASE]:
        assert secret not in raw
    assert stat.S_IMODE(info.path.stat().st_mode) == 0o600
    assert stat.S_IMODE(store.directory.stat().st_mode) == 0o700


def test_a_looser_existing_directory_is_tightened_to_0700(tmp_path: Path) -> None:
    directory = tmp_path / "keys"
    directory.mkdir(mode=0o755)
    os.chmod(directory, 0o755)
    KeyStore(directory, scrypt_n=FAST_N).create("EP", PASSPHRASE)
    assert stat.S_IMODE(directory.stat().st_mode) == 0o700


def test_writing_leaves_no_temporary_files(store: KeyStore) -> None:
    store.create("EP", PASSPHRASE)
    store.create("EP", PASSPHRASE, overwrite=True)
    with pytest.raises(KeyStoreError):
        store.create("EP", PASSPHRASE)
    assert sorted(p.name for p in store.directory.iterdir()) == ["EP.json"]


def test_a_lost_race_for_a_new_office_does_not_replace_the_winner(
    store: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    winner = store.create("EP", PASSPHRASE)
    before = winner.path.read_bytes()
    # Simulate another writer finishing between our existence check and our write.
    monkeypatch.setattr(Path, "exists", lambda self: False)
    with pytest.raises(KeyStoreError, match="already has a key"):
        store.create("EP", PASSPHRASE)
    monkeypatch.undo()
    assert winner.path.read_bytes() == before
    assert sorted(p.name for p in store.directory.iterdir()) == ["EP.json"]


# -- listing and describing ------------------------------------------------------------------


def test_list_describes_every_office_key_sorted_without_secrets(store: KeyStore) -> None:
    store.create("US", PASSPHRASE)
    store.import_key("EP", KNOWN_KEY, PASSPHRASE)
    infos = store.list()
    assert [i.office for i in infos] == ["EP", "US"]
    assert infos[0].address == KNOWN_ADDRESS
    assert all(isinstance(i, KeyInfo) for i in infos)
    shown = repr(infos) + str(infos) + json.dumps([i.to_json() for i in infos])
    for secret in [*_secret_forms(KNOWN_KEY), PASSPHRASE]:
        assert secret not in shown


def test_list_ignores_files_that_are_not_office_keys(store: KeyStore) -> None:
    store.create("EP", PASSPHRASE)
    (store.directory / "notes.json").write_text("{}")
    (store.directory / "XX.json").write_text("{}")  # XX names no office
    (store.directory / ".EP.abc.tmp").write_text("partial")
    (store.directory / "README").write_text("keys live here")
    assert [i.office for i in store.list()] == ["EP"]


def test_list_of_a_directory_that_does_not_exist_is_empty(tmp_path: Path) -> None:
    assert KeyStore(tmp_path / "nowhere").list() == []


def test_address_is_read_without_the_passphrase(store: KeyStore) -> None:
    store.import_key("US", KNOWN_KEY, PASSPHRASE)
    assert store.address("us") == KNOWN_ADDRESS


def test_key_file_made_by_other_tools_is_listed_with_its_file_time(store: KeyStore) -> None:
    store.directory.mkdir(parents=True)
    keyfile = Account.encrypt(
        bytes.fromhex(KNOWN_KEY[2:]), PASSPHRASE, kdf="scrypt", iterations=FAST_N
    )  # no "prioreg" member
    store.path_for("DE").write_text(json.dumps(keyfile))
    (info,) = store.list()
    assert (info.office, info.address) == ("DE", KNOWN_ADDRESS)
    assert info.created.tzinfo is not None
    assert store.load("DE", PASSPHRASE).address == KNOWN_ADDRESS


def test_reprs_show_no_secret(store: KeyStore) -> None:
    info = store.import_key("US", KNOWN_KEY, PASSPHRASE)
    for text in (repr(info), str(info), repr(store)):
        for secret in [*_secret_forms(KNOWN_KEY), PASSPHRASE]:
            assert secret not in text


def test_nothing_secret_is_logged(store: KeyStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    store.import_key("US", KNOWN_KEY, PASSPHRASE)
    store.load("US", PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        store.load("US", "wrong")
    for secret in [*_secret_forms(KNOWN_KEY), PASSPHRASE]:
        assert secret not in caplog.text


# -- where the passphrase comes from -----------------------------------------------------


class _FakeTerminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_passphrase_comes_from_the_environment_first(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRIOREG_KEY_PASSPHRASE", PASSPHRASE)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": pytest.fail("must not prompt"))
    assert passphrase_from_env_or_prompt("EP") == PASSPHRASE


def test_passphrase_variable_name_can_be_chosen(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIOREG_KEY_PASSPHRASE", raising=False)
    monkeypatch.setenv("EP_KEY_PASSPHRASE", "ep secret")
    assert passphrase_from_env_or_prompt("EP", env_var="EP_KEY_PASSPHRASE") == "ep secret"


def test_without_variable_or_terminal_the_error_says_to_set_the_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIOREG_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSPHRASE + "\n"))  # piped stdin is never read for it
    with pytest.raises(KeyStoreError, match="set PRIOREG_KEY_PASSPHRASE"):
        passphrase_from_env_or_prompt("EP")


def test_in_a_terminal_the_passphrase_is_asked_for_hidden(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIOREG_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", _FakeTerminal())
    prompts: list[str] = []

    def answer(prompt: str = "") -> str:
        prompts.append(prompt)
        return PASSPHRASE

    monkeypatch.setattr("getpass.getpass", answer)
    assert passphrase_from_env_or_prompt("ep", confirm=True) == PASSPHRASE
    assert len(prompts) == 2
    assert "office EP" in prompts[0]


@pytest.mark.parametrize(
    ("answers", "message"),
    [(["one", "two"], "differ"), (["", ""], "must not be empty")],
)
def test_prompted_passphrase_must_be_confirmed_and_not_empty(
    monkeypatch: pytest.MonkeyPatch, answers: list[str], message: str
) -> None:
    monkeypatch.delenv("PRIOREG_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", _FakeTerminal())
    replies = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(replies))
    with pytest.raises(KeyStoreError, match=message):
        passphrase_from_env_or_prompt("EP", confirm=True)


def test_end_of_input_at_the_prompt_is_a_key_store_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("PRIOREG_KEY_PASSPHRASE", raising=False)
    monkeypatch.setattr("sys.stdin", _FakeTerminal())

    def eof(prompt: str = "") -> str:
        raise EOFError

    monkeypatch.setattr("getpass.getpass", eof)
    with pytest.raises(KeyStoreError, match="no passphrase"):
        passphrase_from_env_or_prompt("EP")


def test_a_failed_write_is_a_key_store_error_and_leaves_nothing(
    store: KeyStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(fd: int) -> None:
        raise OSError(28, "No space left on device")  # a full disk is the likely cause in practice

    monkeypatch.setattr(os, "fsync", refuse)
    with pytest.raises(KeyStoreError, match=r"cannot write the key of office EP.*No space left"):
        store.create("EP", PASSPHRASE)
    monkeypatch.undo()
    assert list(store.directory.iterdir()) == []
