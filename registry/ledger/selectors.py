"""The function selectors of the registry's calldata that the client writes and the index reads back.

One home for each: the client builds ``anchorBatch`` calldata by hand (faster than web3's encoder
for a batch of thousands of entries) and the index decodes the same bytes from transactions, so a
signature typed twice could drift. The signatures are those of ``contracts/IPriorityRegistry.sol``.
"""

from __future__ import annotations

from typing import Final

from eth_utils.crypto import keccak

__all__ = ["ANCHOR_BATCH", "ANCHOR_BATCH_BY_SIG", "selector"]


def selector(signature: str) -> bytes:
    """The 4-byte selector of a Solidity function signature (``name(type,…)``)."""
    return keccak(text=signature)[:4]


ANCHOR_BATCH: Final = selector("anchorBatch(bytes32,uint32,bytes)")
ANCHOR_BATCH_BY_SIG: Final = selector("anchorBatchBySig(bytes2,bytes32,uint32,bytes,uint256,bytes)")
