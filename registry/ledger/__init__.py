"""The ledger: EIP-712 signing, the client, the transports to a node, the embedded chain, the artifact."""
