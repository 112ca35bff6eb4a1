"""One transport per kind of node: the embedded eth-tester chain and any JSON-RPC node.

:class:`~registry.ledger.transports.base.Transport` is what :class:`registry.ledger.chain.Chain`
asks of a node; :mod:`.embedded` and :mod:`.rpc` answer it. Only ``registry.ledger`` speaks web3.
"""
