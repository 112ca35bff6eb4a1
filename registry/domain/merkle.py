"""Merkle trees over batch entries, bit for bit as OpenZeppelin builds them (docs/spec/entries.md#merkle-tree).

A batch stores one root on chain; the index recomputes it from calldata, and operations on a
batched entry carry a proof checked by OpenZeppelin ``MerkleProof`` against that root. So this
module must compute exactly what ``StandardMerkleTree.of(entries.map(e => [e]), ["bytes"])``
computes in ``@openzeppelin/merkle-tree`` 1.0.8 (``dist/standard.js``, ``merkletree.js``,
``core.js``, ``hashes.js``):

- leaf = ``keccak256(keccak256(abi.encode(bytes entry)))``; the ABI encoding of one dynamic
  ``bytes`` value is the offset word ``0x20``, the length word, then the data zero-padded to a
  multiple of 32 (no data word at all for empty bytes). Hashing twice keeps a leaf from ever
  being read as an inner node (second pre-image attack);
- inner node = ``keccak256(min(a, b) ‖ max(a, b))`` (``Hashes.commutativeKeccak256``), so a proof
  needs no left/right flags;
- layout (``MerkleTreeImpl.prepare`` and ``makeMerkleTree``): leaf hashes sorted ascending —
  a stable sort, so equal leaves keep input order — then stored *backwards* at the end of an
  array of ``2n − 1`` nodes (the smallest hash at index ``2n − 2``); node ``i`` has children
  ``2i + 1`` and ``2i + 2``; the root is node 0;
- a proof (``getProof``) lists, from the leaf upwards, the sibling of each node on the path:
  ``i − 1`` for even ``i``, ``i + 1`` for odd ``i``.

``tests/registry/test_merkle.py`` compares roots and every proof with the npm package itself.

Speed: a batch of 10⁶ entries needs 3·10⁶ hashes, through the fastest Keccak-256 backend
(:mod:`registry.domain.keccak`, which chooses it once for the whole registry).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence

from registry.domain.keccak import keccak256
from registry.errors import InvalidInput

__all__ = ["MerkleTree", "keccak256", "leaf_hash", "verify", "verify_entry"]

# abi.encode(bytes) starts with the offset of the value: always 32.
_OFFSET_WORD = (32).to_bytes(32, "big")
_ZEROS = bytes(32)


def leaf_hash(entry: bytes) -> bytes:
    """The leaf of one entry: ``keccak256(keccak256(abi.encode(entry)))`` (OZ ``standardLeafHash``)."""
    size = len(entry)
    h = keccak256
    return h(h(b"".join((_OFFSET_WORD, size.to_bytes(32, "big"), entry, _ZEROS[: -size % 32]))))


def _check_node(node: bytes, what: str) -> None:
    if not isinstance(node, bytes | bytearray) or len(node) != 32:
        raise InvalidInput(f"{what} must be 32 bytes", code="badMerkleNode")


class MerkleTree:
    """An OpenZeppelin ``StandardMerkleTree`` of ``bytes`` leaves (docs/spec/entries.md#merkle-tree; OZ merkle-tree
    1.0.8).

    Build it with :meth:`of`. Nodes are kept in one contiguous ``bytes`` (32 bytes a node) to keep
    a tree of a million leaves at ~64 MB instead of the ~150 MB of a list of ``bytes`` objects.
    """

    __slots__ = ("_count", "_leaf_positions", "_nodes")

    def __init__(self, nodes: bytes, leaf_positions: array[int]) -> None:
        """Use :meth:`of`; this takes the laid-out nodes and each input's node index."""
        self._nodes = nodes
        self._leaf_positions = leaf_positions
        self._count = len(leaf_positions)

    @classmethod
    def of(cls, entries: Sequence[bytes]) -> MerkleTree:
        """Build the tree of ``entries`` in input order, as OZ ``StandardMerkleTree.of`` does.

        Raises :class:`~registry.errors.InvalidInput` (code ``emptyBatch``) for no entries: OZ
        refuses an empty tree too.
        """
        count = len(entries)
        if count == 0:
            raise InvalidInput("a Merkle tree needs at least one entry", code="emptyBatch")
        leaves = [leaf_hash(bytes(e)) for e in entries]
        # Stable, like Array.prototype.sort: equal leaves (duplicate entries) keep input order.
        order = sorted(range(count), key=leaves.__getitem__)
        last = 2 * count - 2
        tree: list[bytes] = [b""] * (count - 1)
        tree.extend(leaves[i] for i in reversed(order))
        positions = array("I", bytes(4 * count))
        for rank, index in enumerate(order):
            positions[index] = last - rank
        h = keccak256
        for i in range(count - 2, -1, -1):
            a = tree[2 * i + 1]
            b = tree[2 * i + 2]
            tree[i] = h(a + b if a <= b else b + a)
        return cls(b"".join(tree), positions)

    def __len__(self) -> int:
        return self._count

    @property
    def root(self) -> bytes:
        """The root the contract stores for the batch."""
        return self._nodes[:32]

    def leaf(self, index: int) -> bytes:
        """The leaf hash of the entry at ``index`` (input order)."""
        position = self._position(index)
        return self._nodes[32 * position : 32 * position + 32]

    def proof(self, index: int) -> list[bytes]:
        """The proof of the entry at ``index`` (input order), leaf to root (OZ ``getProof``)."""
        position = self._position(index)
        nodes = self._nodes
        proof: list[bytes] = []
        while position > 0:
            sibling = position + 1 if position & 1 else position - 1
            proof.append(nodes[32 * sibling : 32 * sibling + 32])
            position = (position - 1) >> 1
        return proof

    def _position(self, index: int) -> int:
        if not 0 <= index < self._count:
            raise IndexError(f"entry index {index} is not in a tree of {self._count} entries")
        return self._leaf_positions[index]


def verify(root: bytes, leaf: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` leads from the leaf hash ``leaf`` to ``root`` (OZ ``MerkleProof.verify``).

    Mirrors ``MerkleProof.processProof``: fold the proof with the commutative hash. Raises
    :class:`~registry.errors.InvalidInput` (code ``badMerkleNode``) if a node is not 32 bytes,
    which ``bytes32`` on chain cannot express.
    """
    _check_node(root, "a Merkle root")
    _check_node(leaf, "a Merkle leaf")
    computed = bytes(leaf)
    h = keccak256
    for node in proof:
        _check_node(node, "a Merkle proof node")
        node = bytes(node)
        computed = h(computed + node if computed <= node else node + computed)
    return computed == root


def verify_entry(root: bytes, entry: bytes, proof: Sequence[bytes]) -> bool:
    """Whether ``proof`` shows the entry bytes ``entry`` are in the tree of ``root``
    (docs/spec/entries.md#merkle-tree)."""
    return verify(root, leaf_hash(entry), proof)
