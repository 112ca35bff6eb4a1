"""Merkle trees (docs/spec/entries.md#merkle-tree): identical to OpenZeppelin's StandardMerkleTree of `bytes` leaves."""

from __future__ import annotations

import json
import os
import random
import shutil
import subprocess
from pathlib import Path

import pytest
from eth_abi.abi import encode as abi_encode
from eth_utils.crypto import keccak
from hypothesis import given
from hypothesis import strategies as st

from registry.domain.merkle import MerkleTree, keccak256, leaf_hash, verify, verify_entry
from registry.errors import InvalidInput

REPO = Path(__file__).resolve().parents[3]
OZ_SCRIPT = Path(__file__).with_name("merkle_oz.mjs")
OZ_PACKAGE = REPO / "node_modules" / "@openzeppelin" / "merkle-tree" / "package.json"

# Computed by @openzeppelin/merkle-tree 1.0.8 for the entries 0x, 0x01, 0x0102 (input order):
# a fixed vector so that the layout is checked even where node is not installed.
GOLDEN_ENTRIES = [b"", b"\x01", b"\x01\x02"]
GOLDEN_ROOT = "0xd29c587f6fe04bc7e2614e1d42673bc13f024d87079dd319f054e7f54c175cb8"
GOLDEN_PROOF_OF_LAST = ["0x72548adc22aba44fb068513d1ce2f5926d56846d8449fad1572820fc5d967c3e"]


def _hex(value: bytes) -> str:
    return "0x" + value.hex()


def _entries(count: int, seed: int) -> list[bytes]:
    """Variable-length entries, including the sizes around ABI word boundaries."""
    rng = random.Random(seed)
    sizes = [0, 1, 31, 32, 33, 38, 64, 70, 106, 142]
    return [rng.randbytes(sizes[i] if i < len(sizes) else rng.randrange(0, 300)) for i in range(count)]


def _openzeppelin(entries: list[bytes], tmp_path: Path) -> dict[str, object]:
    node = shutil.which("node")
    if node is None or not OZ_PACKAGE.exists():
        reason = "node or node_modules/@openzeppelin/merkle-tree is missing (run `npm ci`)"
        if os.environ.get("CI") == "true":
            pytest.fail(f"the OpenZeppelin compatibility test cannot run in CI: {reason}")
        pytest.skip(reason)
    source, target = tmp_path / "entries.json", tmp_path / "tree.json"
    source.write_text(json.dumps({"entries": [_hex(e) for e in entries]}))
    subprocess.run([node, str(OZ_SCRIPT), str(source), str(target)], check=True, timeout=120)
    result: dict[str, object] = json.loads(target.read_text())
    return result


def test_the_keccak_backend_is_keccak256() -> None:
    for data in (b"", b"a", bytes(64), bytes(range(256)) * 3):
        assert keccak256(data) == keccak(data)


def test_a_leaf_is_the_double_hash_of_the_abi_encoded_bytes() -> None:
    for entry in _entries(40, seed=3):
        assert leaf_hash(entry) == keccak(keccak(abi_encode(["bytes"], [entry])))


def test_the_golden_vector_from_openzeppelin_holds() -> None:
    tree = MerkleTree.of(GOLDEN_ENTRIES)
    assert _hex(tree.root) == GOLDEN_ROOT
    assert [_hex(p) for p in tree.proof(2)] == GOLDEN_PROOF_OF_LAST


@pytest.mark.parametrize("count", [1, 2, 3, 7, 100, 1000])
def test_root_leaves_and_every_proof_equal_openzeppelin(count: int, tmp_path: Path) -> None:
    # Every non-root node is the sibling of some node on some leaf's path, so equal proofs for
    # all leaves plus an equal root mean an equal tree, node for node.
    entries = _entries(count, seed=count)
    expected = _openzeppelin(entries, tmp_path)
    tree = MerkleTree.of(entries)
    assert _hex(tree.root) == expected["root"]
    assert [_hex(tree.leaf(i)) for i in range(count)] == expected["leaves"]
    assert [[_hex(p) for p in tree.proof(i)] for i in range(count)] == expected["proofs"]


def test_duplicate_entries_are_laid_out_like_openzeppelin(tmp_path: Path) -> None:
    # Equal leaves must keep input order (a stable sort, as Array.prototype.sort is).
    base = _entries(5, seed=9)
    entries = [base[0], base[1], base[0], base[2], base[1], base[0], base[3], base[4]]
    expected = _openzeppelin(entries, tmp_path)
    tree = MerkleTree.of(entries)
    assert _hex(tree.root) == expected["root"]
    assert [[_hex(p) for p in tree.proof(i)] for i in range(len(entries))] == expected["proofs"]


def test_a_single_entry_tree_has_its_leaf_as_root_and_an_empty_proof() -> None:
    tree = MerkleTree.of([b"\x05" * 38])
    assert tree.root == leaf_hash(b"\x05" * 38)
    assert tree.proof(0) == []
    assert verify_entry(tree.root, b"\x05" * 38, [])


def test_an_empty_batch_has_no_tree() -> None:
    with pytest.raises(InvalidInput) as caught:
        MerkleTree.of([])
    assert caught.value.code == "emptyBatch"


def test_an_index_outside_the_batch_has_no_proof() -> None:
    tree = MerkleTree.of(_entries(3, seed=1))
    with pytest.raises(IndexError):
        tree.proof(3)
    with pytest.raises(IndexError):
        tree.proof(-1)


def test_malformed_nodes_are_refused_by_verify() -> None:
    tree = MerkleTree.of(_entries(4, seed=1))
    with pytest.raises(InvalidInput) as caught:
        verify(tree.root, tree.leaf(0), [b"\x00" * 31])
    assert caught.value.code == "badMerkleNode"
    with pytest.raises(InvalidInput):
        verify(tree.root[:31], tree.leaf(0), tree.proof(0))


@given(st.lists(st.binary(max_size=120), min_size=1, max_size=60), st.data())
def test_every_proof_verifies_and_any_other_entry_does_not(entries: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.of(entries)
    assert len(tree) == len(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    proof = tree.proof(index)
    assert verify_entry(tree.root, entries[index], proof)
    other = data.draw(st.binary(max_size=120).filter(lambda e: e != entries[index]))
    assert not verify_entry(tree.root, other, proof)


@given(st.lists(st.binary(max_size=60), min_size=2, max_size=40, unique=True), st.data())
def test_a_tampered_proof_does_not_verify(entries: list[bytes], data: st.DataObject) -> None:
    tree = MerkleTree.of(entries)
    index = data.draw(st.integers(0, len(entries) - 1))
    proof = tree.proof(index)
    at = data.draw(st.integers(0, len(proof) - 1))
    bit = data.draw(st.integers(0, 255))
    node = bytearray(proof[at])
    node[bit // 8] ^= 1 << (bit % 8)
    tampered = [*proof[:at], bytes(node), *proof[at + 1 :]]
    assert not verify(tree.root, tree.leaf(index), tampered)
    assert not verify(tree.root, tree.leaf(index), proof[:-1])
