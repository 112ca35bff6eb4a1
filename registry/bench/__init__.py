"""``prioreg bench``: a year of the world's patent filings on one machine, against the naive way.

Issue 6 and docs/design.md#batching: the registry claims that batching
makes a year of filings (~3.7 M patent applications, docs/domain.md#load-to-plan-for) cheap in gas and
time, and that verification from the index is fast. This package measures those claims side by
side with the naive way in one run, so that the ratios hold even on a shared machine:

- :mod:`~registry.bench.synthetic` — realistic synthetic filings (valid numbers, check digits,
  priority claims to earlier filings);
- :mod:`~registry.bench.prepare` — the pure half of anchoring, run in worker processes;
- :mod:`~registry.bench.anchoring` — naive web3 ``transact()``, one-by-one client, batches;
- :mod:`~registry.bench.verification` and :mod:`~registry.bench.load` — the HTTP API under load
  from another process, against one ``eth_call`` per verification;
- :mod:`~registry.bench.run` — the whole run, as JSON; :mod:`~registry.bench.report` — the tables;
- :mod:`~registry.bench.chains` — one-by-one against batched on the embedded chain and on a node
  (``--rpc-url``, e.g. anvil), issue 4's table;
- :mod:`~registry.bench.restart` — how long the durable embedded chain takes to restart (issue 7).

It lives in the package (not in ``tests/``) because it is a tool people run, not a test: speed is
measured here, never asserted in a timed test.
"""

from registry.bench.run import DEFAULT_FILINGS, BenchConfig, run_bench

__all__ = ["DEFAULT_FILINGS", "BenchConfig", "run_bench"]
