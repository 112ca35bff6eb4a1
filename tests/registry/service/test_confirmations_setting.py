"""``PRIOREG_CONFIRMATIONS`` reaches the index of a gateway (docs/operations.md, "Confirmations and finality").

A gateway opened from its state directory reads the chain that many blocks behind the head; before,
the setting was read and then dropped, so the index always read the head.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from registry.ops.config import Settings
from registry.ops.deployment import open_deployment


@pytest.mark.parametrize("confirmations", [0, 2])
def test_the_index_of_a_gateway_stays_that_many_blocks_behind_the_head(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, confirmations: int
) -> None:
    monkeypatch.setenv("PRIOREG_CONFIRMATIONS", str(confirmations))
    opened = open_deployment(Settings(state_dir=tmp_path / "state"), demo=True, offices=("EP", "JP"))
    try:
        service = opened.service
        service.sync()
        head = service.chain.block_number()
        assert head > 2  # deploy and two admissions at least
        assert service.index.last_block() == head - confirmations
    finally:
        opened.service.chain.close()
