"""Settings: the one place that reads the environment (docs/design.md#how-the-code-is-written).

Every entry point (CLI, API, scripts) builds a :class:`Settings` and passes it down. Variables are
prefixed ``PRIOREG_``; secrets have no default and are kept as ``SecretStr`` so they never show in
a repr or a log.
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

__all__ = ["Settings"]


class Settings(BaseSettings):
    """Where the ledger is, where local state lives, and the secrets that unlock it."""

    model_config = SettingsConfigDict(env_prefix="PRIOREG_", extra="ignore")

    state_dir: Path = Field(default=Path("state"), description="Local state: keys, index, embedded chain journal.")
    rpc_url: str | None = Field(default=None, description="A JSON-RPC node; unset means the embedded chain.")
    contract: str | None = Field(default=None, description="The registry's address on the RPC node.")
    funder_key: SecretStr | None = Field(
        default=None, description="A funded key that pays for gas on an RPC node (dev nodes: anvil's first account)."
    )
    key_passphrase: SecretStr | None = Field(default=None, description="Unlocks the office keys in the state dir.")
    confirmations: int = Field(default=0, ge=0, le=1000, description="Blocks the index waits before reading.")
    scrypt_n: int = Field(default=2**18, description="scrypt cost for new keys (lower only for tests and demos).")
    body_read_timeout: float = Field(
        default=5.0,
        gt=0,
        le=300,
        description="Seconds a request body may go without a byte arriving before the gateway answers 408"
        " (api.limits); a body must also keep arriving at 1 KiB/s on average after that start.",
    )
