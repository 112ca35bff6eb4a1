"""Priority-document packages on a real chain (docs/spec/packages.md; issue 20): built, signed and anchored as a new
version by the office of first filing, checked against the ledger alone — and every check failing on its own,
including across a key rotation."""

from __future__ import annotations

import dataclasses
import datetime as _dt
import hashlib
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account.signers.local import LocalAccount

from registry import errors
from registry.domain.accesscodes import generate
from registry.domain.filings import FilingInput
from registry.domain.packages import (
    MANIFEST_NAME,
    SIGNATURE_NAME,
    _zip,
    build_package,
    manifest_bytes,
    parse_manifest,
    read_package,
)
from registry.domain.types import IpRightKind
from registry.index import Index
from registry.ledger.chain import Chain
from registry.ledger.client import RegistryClient, deploy
from registry.ledger.signing import priority_document_typed_data, typed_data_digest
from registry.service import RegistryService
from registry.service.files import FileStore
from registry.service.packages import CHECK_NAMES, create_package, sign_manifest, verify_package

NUMBER = "2017-187096"
PDF = b"%PDF-1.7 the application as filed"
XML = b"<ApplicationBody/>"


@dataclasses.dataclass
class World:
    chain: Chain
    registrar: RegistryClient
    service: RegistryService
    keys: list[LocalAccount]
    code: str
    commitment: bytes

    @property
    def contract(self) -> str:
        return self.registrar.address

    def rotate(self) -> LocalAccount:
        """JP rotates its own key; the service writes with the new one from now on."""
        new = self.chain.new_account()
        self.registrar.for_account(self.keys[-1]).rotate_office_key("JP", new.address)
        self.keys.append(new)
        self.service.add_office("JP", new)
        return new

    def package(self, tmp: Path | None = None, pdf: bytes = PDF) -> bytes:
        store = FileStore(tmp) if tmp is not None else None
        created = create_package(
            self.service, "JP", self.commitment, NUMBER, self.code, [("application.pdf", "application/pdf", pdf)],
            bibliographic=XML, store=store,
        )  # fmt: skip
        if store is not None:
            assert store.get(created.package_sha256) is not None
        return created.data

    def verify(self, data: bytes, access_code: str | None = None) -> dict[str, bool]:
        answer = verify_package(self.chain, None, data, access_code)
        assert [c.name for c in answer.checks] == [
            n for n in CHECK_NAMES if access_code is not None or n != "numberMatchesCommitment"
        ]
        return {c.name: c.passed for c in answer.checks}


@pytest.fixture
def world() -> Iterator[World]:
    chain = Chain.embedded()
    registrar = deploy(chain, chain.new_account())
    jp, us = chain.new_account(), chain.new_account()
    registrar.admit_office("JP", jp.address)
    registrar.admit_office("US", us.address)
    service = RegistryService(chain, Index(":memory:", chain, registrar.address), registrar.address)
    service.add_office("JP", jp)
    code = str(generate())
    outcome = service.anchor("JP", FilingInput(NUMBER, _dt.date(2017, 9, 27), IpRightKind.PATENT, access_code=code))
    yield World(chain, registrar, service, [jp], code, outcome.prepared.commitment)
    chain.close()


def _all_pass(checks: dict[str, bool], *, current: bool = True) -> None:
    assert checks.pop("isCurrentVersion") is current
    assert all(checks.values()), checks


def _rezip(data: bytes, **changes: bytes) -> bytes:
    entries = {**read_package(data).entries, **changes}
    return _zip(entries)


def _resign(world: World, data: bytes, key: LocalAccount, **manifest_changes: object) -> bytes:
    """The same package with its manifest changed (canonically) and signed again by ``key``."""
    entries = read_package(data).entries
    manifest = dataclasses.replace(parse_manifest(entries[MANIFEST_NAME]), **manifest_changes)  # type: ignore[arg-type]
    files = {n: d for n, d in entries.items() if n not in (MANIFEST_NAME, SIGNATURE_NAME)}
    return build_package(manifest, files, sign_manifest(key.key, "JP", manifest))


def test_a_package_is_anchored_as_a_new_version_and_verifies(world: World, tmp_path: Path) -> None:
    data = world.package(tmp_path)
    answer = verify_package(world.chain, world.contract, data, world.code)
    assert answer.valid and answer.current
    assert all(c.passed for c in answer.checks)
    assert (answer.ip_office_code, answer.application_number, answer.version, answer.current_version) == (
        "JP",
        "JP2017187096",  # canonical (docs/spec/commitments.md#canonical-numbers)
        2,
        2,
    )
    manifest = read_package(data).entries[MANIFEST_NAME]
    assert answer.evidence["manifestSha256"] == "0x" + hashlib.sha256(manifest).hexdigest()
    assert answer.evidence["signer"] == world.keys[0].address
    record = world.service.own_record("JP", world.commitment)
    assert record.version == 2 and record.document_digest is not None
    assert answer.evidence["documentDigest"] == "0x" + record.document_digest.hex()


def test_the_signed_digest_is_the_contracts(world: World) -> None:
    typed = priority_document_typed_data(world.chain.chain_id, world.contract, "JP", world.commitment, b"\1" * 32, 7)
    contract = world.chain.registry_contract(world.contract)
    on_chain = contract.functions.hashPriorityDocument(b"JP", world.commitment, b"\1" * 32, 7).call()
    assert bytes(on_chain) == typed_data_digest(typed)


def test_an_old_version_stays_valid_but_is_not_current(world: World) -> None:
    first = world.package()
    second = world.package(pdf=PDF + b" corrected")
    _all_pass(world.verify(first), current=False)
    _all_pass(world.verify(second))
    answer = verify_package(world.chain, None, first)
    assert answer.valid and not answer.current and (answer.version, answer.current_version) == (2, 3)


def test_a_package_stays_valid_after_the_office_rotates_its_key(world: World) -> None:
    data = world.package()
    world.rotate()
    _all_pass(world.verify(data, world.code))
    later = world.package(pdf=PDF + b" v3")  # signed by the new key
    _all_pass(world.verify(later))
    _all_pass(world.verify(data), current=False)


def test_a_key_rotated_out_before_the_version_does_not_sign_it(world: World) -> None:
    old = world.keys[0]
    world.rotate()
    data = world.package()  # version 2, anchored after the rotation
    forged = _resign(world, data, old)
    checks = world.verify(forged)
    assert checks.pop("signedByOfficeKeyAtVersion") is False
    _all_pass(checks)
    answer = verify_package(world.chain, None, forged)
    assert not answer.valid
    message = next(c.message for c in answer.checks if c.name == "signedByOfficeKeyAtVersion")
    assert old.address in message and world.keys[1].address in message


def test_a_wrong_signer_fails_alone(world: World) -> None:
    data = world.package()
    stranger = world.chain.new_account(fund=False)
    checks = world.verify(_resign(world, data, stranger))
    assert checks.pop("signedByOfficeKeyAtVersion") is False
    _all_pass(checks)
    # A signature.json whose signer field names the office's key, over another key's signature.
    entries = read_package(data).entries
    manifest = parse_manifest(entries[MANIFEST_NAME])
    lie = dataclasses.replace(sign_manifest(stranger.key, "JP", manifest), signer=world.keys[0].address)
    forged = build_package(manifest, {"application.pdf": entries["application.pdf"], "biblio.xml": XML}, lie)
    checks = world.verify(forged)
    assert checks.pop("signedByOfficeKeyAtVersion") is False
    _all_pass(checks)


def test_a_byte_changed_in_a_file_fails_files_match_manifest(world: World) -> None:
    data = world.package()
    checks = world.verify(_rezip(data, **{"application.pdf": PDF.replace(b"1.7", b"1.6")}))
    assert checks.pop("filesMatchManifest") is False
    _all_pass(checks)


def test_a_byte_changed_in_the_manifest_breaks_it(world: World) -> None:
    data = world.package()
    manifest = read_package(data).entries[MANIFEST_NAME]
    checks = world.verify(_rezip(data, **{MANIFEST_NAME: manifest.replace(b",", b", ", 1)}))
    assert not checks["manifestCanonical"] and not checks["signedByOfficeKeyAtVersion"]
    assert not checks["anchoredOnLedger"] and checks["filesMatchManifest"]
    changed = manifest.replace(b'"ipRightKind":"patent"', b'"ipRightKind":"design"')
    checks = world.verify(_rezip(data, **{MANIFEST_NAME: changed}))
    assert checks["manifestCanonical"] and checks["filesMatchManifest"]
    assert not checks["signedByOfficeKeyAtVersion"] and not checks["anchoredOnLedger"]


def test_a_digest_not_on_the_ledger_fails_anchored_on_ledger_alone(world: World) -> None:
    data = world.package()
    # Well signed by the key of version 2, but version 2 anchored another manifest.
    checks = world.verify(_resign(world, data, world.keys[0], ip_right_kind="design"))
    assert checks.pop("anchoredOnLedger") is False
    _all_pass(checks)
    # A version that was never anchored.
    checks = world.verify(_resign(world, data, world.keys[0], version=9))
    assert not checks["anchoredOnLedger"] and not checks["signedByOfficeKeyAtVersion"]


def test_the_access_code_binds_number_and_commitment(world: World) -> None:
    data = world.package()
    assert world.verify(data, world.code)["numberMatchesCommitment"]
    checks = world.verify(data, str(generate()))
    assert checks.pop("numberMatchesCommitment") is False
    _all_pass(checks)
    assert not world.verify(data, "not a code")["numberMatchesCommitment"]


def test_another_chain_or_contract_is_refused_with_a_clear_line(world: World) -> None:
    data = world.package()
    other = _resign(world, data, world.keys[0], chain_id=1)
    answer = verify_package(world.chain, None, other)
    assert not answer.valid
    assert any("names chain 1" in c.message for c in answer.checks)
    answer = verify_package(world.chain, "0x" + "11" * 20, data)
    assert not answer.valid and any("names contract" in c.message for c in answer.checks)


def test_a_malformed_archive_is_refused_unread(world: World) -> None:
    with pytest.raises(errors.MalformedPackage):
        verify_package(world.chain, None, b"PK\x03\x04 not a package")
    data = world.package()
    entries = dict(read_package(data).entries)
    del entries[MANIFEST_NAME]
    answer = verify_package(world.chain, None, _zip(entries))
    assert not answer.valid and answer.version is None


def test_creation_checks_number_and_code_first(world: World) -> None:
    files = [("application.pdf", "application/pdf", PDF)]
    with pytest.raises(errors.InvalidInput) as info:
        create_package(world.service, "JP", world.commitment, NUMBER, str(generate()), files)
    assert info.value.code == "commitmentMismatch"
    with pytest.raises(errors.InvalidInput):
        create_package(world.service, "JP", world.commitment, NUMBER, world.code, [("../x", "application/pdf", PDF)])
    with pytest.raises(errors.Forbidden):
        create_package(world.service, "US", world.commitment, NUMBER, world.code, files)
    assert world.service.own_record("JP", world.commitment).version == 1  # nothing was anchored


def test_manifest_bytes_are_what_the_ledger_binds(world: World) -> None:
    data = world.package()
    manifest = parse_manifest(read_package(data).entries[MANIFEST_NAME])
    assert manifest_bytes(manifest) == read_package(data).entries[MANIFEST_NAME]
    assert manifest.version == 2 and manifest.chain_id == world.chain.chain_id
