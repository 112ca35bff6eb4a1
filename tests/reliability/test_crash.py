"""Crash tests: ``kill -9`` the server in the middle of an import and restart it on the same state dir.

docs/design.md#p7-acknowledged-means-on-the-ledger, "acknowledged means on the ledger", checked from the outside: every
filing whose request got a 201 is there after the crash, exactly once; a re-post of it is a 409; and
re-running the import anchors only what is missing (the API refuses a whole batch with 409 when
any filing in it is anchored, so the re-run asks which ones are missing and posts only those).
The crash points are random (seeded) and printed, with what was verified after each; run with
``-s`` (or look at a failure's captured output) to see them.
"""

from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import textwrap
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from registry.index import Index
from registry.ledger.chain import Chain
from registry.ops.state import StateDir
from tests.reliability.support import ROOT, soak

pytestmark = pytest.mark.slow

SEED = 20_240_607
KILLS = 10
BATCHES = 20


@dataclass(frozen=True)
class Batch:
    """One ``POST /v1/filing-batches`` of the import."""

    index: int
    office: str
    filings: tuple[Any, ...]  # soak.Filing


def _plan(rng: random.Random) -> list[Batch]:
    """The import: BATCHES batches of 50-200 filings, EP and JP in turn, numbered deterministically."""
    factory = soak.FilingFactory()
    next_number = {"EP": 1, "JP": 1}
    plan = []
    for index in range(BATCHES):
        office = ("EP", "JP")[index % 2]
        size = rng.randint(50, 200)
        first = next_number[office]
        next_number[office] += size
        plan.append(Batch(index, office, tuple(factory.filing(office, n) for n in range(first, first + size))))
    return plan


@dataclass
class Importer:
    """Posts the batches of the plan not yet known to be on the ledger; survives being cut off by a kill."""

    plan: list[Batch]
    tokens: dict[str, str]
    acknowledged: dict[str, int] = field(default_factory=dict)  # commitment → batch that got the 201
    done: set[int] = field(default_factory=set)  # batches whose filings are all on the ledger
    landed_unacknowledged: set[str] = field(default_factory=set)
    # Found by GET after a restart: on the durable ledger (this importer posts one request at a
    # time, so nothing it finds can still be waiting for its fsync); not asked again.
    present: set[str] = field(default_factory=set)
    posts: int = 0
    in_flight: int | None = None
    latencies: list[float] = field(default_factory=list)  # of the posts that got their 201
    failures: list[str] = field(default_factory=list)
    _posted: threading.Condition = field(default_factory=threading.Condition)

    def wait_for_post(self, count: int, timeout: float = 60.0) -> bool:
        """Block until ``count`` posts have been sent in all (False if the import ended first)."""
        with self._posted:
            return self._posted.wait_for(lambda: self.posts >= count or self.finished(), timeout)

    def wait_for_batches(self, count: int, timeout: float = 60.0) -> None:
        """Block until ``count`` batches are done in all (or the import is)."""
        with self._posted:
            self._posted.wait_for(lambda: len(self.done) >= count or self.finished(), timeout)

    def finished(self) -> bool:
        return len(self.done) == len(self.plan)

    def typical_post(self) -> float:
        """The median time a batch post took to be answered (0.4 s before any was)."""
        return sorted(self.latencies)[len(self.latencies) // 2] if self.latencies else 0.4

    def _post(self, client: httpx.Client, batch: Batch, filings: list[Any]) -> httpx.Response:
        with self._posted:
            self.posts += 1
            self.in_flight = batch.index
            self._posted.notify_all()
        return client.post(
            "/v1/filing-batches",
            json={"filings": [f.body() for f in filings]},
            headers={"Authorization": f"Bearer {self.tokens[batch.office]}"},
        )

    def run(self, base_url: str) -> None:
        """Import until done or until the server goes away (a transport error ends the run quietly)."""
        try:
            with httpx.Client(base_url=base_url, timeout=60.0) as client:
                for batch in self.plan:
                    if batch.index not in self.done:
                        self._import(client, batch)
                self.in_flight = None
        except httpx.TransportError:
            return
        except Exception as exc:  # an assertion in this thread must fail the test, not vanish with it
            self.failures.append(f"{type(exc).__name__}: {exc}")
        finally:
            with self._posted:
                self._posted.notify_all()

    def _import(self, client: httpx.Client, batch: Batch) -> None:
        started = time.perf_counter()
        response = self._post(client, batch, list(batch.filings))
        if response.status_code == 409:
            # Some of it is on the ledger already (a crash after the write, before the answer):
            # post only what is missing.
            for f in batch.filings:
                if f.commitment not in self.present and _present(client, f.commitment):
                    self.present.add(f.commitment)
                    if f.commitment not in self.acknowledged:
                        self.landed_unacknowledged.add(f.commitment)
            missing = [f for f in batch.filings if f.commitment not in self.present]
            if not missing:
                self._done(batch)
                return
            started = time.perf_counter()
            response = self._post(client, batch, missing)
            filings = missing
        else:
            filings = list(batch.filings)
        if response.status_code != 201:
            self.failures.append(f"batch {batch.index}: {response.status_code} {response.text[:300]}")
            return
        self.latencies.append(time.perf_counter() - started)
        answered = [f["commitment"] for f in response.json()["filings"]]
        assert answered == [f.commitment for f in filings]
        for f in filings:
            self.acknowledged[f.commitment] = batch.index
        self._done(batch)

    def _done(self, batch: Batch) -> None:
        with self._posted:
            self.done.add(batch.index)
            self._posted.notify_all()


def _present(client: httpx.Client, commitment: str) -> bool:
    response = client.get(f"/v1/applications/{commitment}")
    assert response.status_code in (200, 404), response.text
    return response.status_code == 200


def _verify(base_url: str, commitments: list[str], office_of: dict[str, str]) -> None:
    """Each commitment is anchored once (one version, the right office)."""
    with httpx.Client(base_url=base_url, timeout=60.0) as client:
        for commitment in commitments:
            response = client.get(f"/v1/applications/{commitment}")
            assert response.status_code == 200, f"acknowledged {commitment} is missing: {response.text}"
            record = response.json()
            assert record["ipOfficeCode"] == office_of[commitment]
            assert len(record["versions"]) == 1, record


def _reposts_conflict(base_url: str, importer: Importer, batch: Batch) -> None:
    """A re-post of an acknowledged batch, and of one of its filings alone, is a 409 (nothing anchored twice)."""
    token = {"Authorization": f"Bearer {importer.tokens[batch.office]}"}
    with httpx.Client(base_url=base_url, timeout=60.0, headers=token) as client:
        whole = client.post("/v1/filing-batches", json={"filings": [f.body() for f in batch.filings]})
        assert whole.status_code == 409, whole.text
        single = client.post("/v1/filings", json=batch.filings[-1].body())
        assert single.status_code == 409, single.text


def test_kill_9_during_an_import_loses_nothing_acknowledged_and_anchors_nothing_twice(tmp_path: Path) -> None:
    rng = random.Random(SEED)
    plan = _plan(rng)
    office_of = {f.commitment: b.office for b in plan for f in b.filings}
    server = soak.ServerProcess(tmp_path / "state", tmp_path / "tokens.json", log_path=tmp_path / "server.log")
    started = time.perf_counter()
    server.start()
    try:
        contract = httpx.get(server.base_url + "/v1/health").json()["contract"]
        importer = Importer(plan, server.tokens())
        verified_upto: set[str] = set()
        landed: set[int] = set()  # batches seen on the ledger after an earlier crash
        print(f"\nimport of {sum(len(b.filings) for b in plan)} filings in {len(plan)} batches; seed {SEED}")
        for crash in range(1, KILLS + 1):
            # Let zero or one batch finish (the first post after a restart is slow, and the import
            # must move on), then kill while the next post is served: anywhere from just after it
            # is sent to a little after a typical post is answered.
            finish_first = rng.randint(0, 1)
            fraction = rng.uniform(0.0, 1.25)
            thread = threading.Thread(target=importer.run, args=(server.base_url,))
            thread.start()
            importer.wait_for_batches(len(importer.done) + finish_first)
            after_posts = importer.posts + 1
            reached = importer.wait_for_post(after_posts)
            delay = fraction * importer.typical_post()
            time.sleep(delay)
            in_flight = importer.in_flight
            server.kill()
            thread.join()
            assert not importer.failures, importer.failures
            restart = server.start()
            health = httpx.get(server.base_url + "/v1/health").json()
            assert health["contract"] == contract  # resumed, not redeployed
            # Every acknowledged filing not yet checked, and a sample of those checked before.
            new = [c for c in importer.acknowledged if c not in verified_upto]
            old = rng.sample(sorted(verified_upto), min(40, len(verified_upto)))
            _verify(server.base_url, new + old, office_of)
            verified_upto.update(new)
            if importer.acknowledged:
                last = max(importer.acknowledged.values())
                _reposts_conflict(server.base_url, importer, plan[last])
            if in_flight is None or not reached:
                point = "after the import had finished"
                fate = "-"
            else:
                flight = plan[in_flight]
                acked = all(f.commitment in importer.acknowledged for f in flight.filings)
                with httpx.Client(base_url=server.base_url, timeout=60.0) as client:
                    on_ledger = sum(_present(client, f.commitment) for f in flight.filings)
                point = (
                    f"{delay * 1000:4.0f} ms ({fraction:4.0%} of a typical post) after post {after_posts} was sent; "
                    f"batch {in_flight} ({len(flight.filings)} filings)"
                )
                if acked:
                    fate = "acknowledged before the kill"
                elif in_flight in landed:
                    fate = "on the ledger since an earlier crash (killed while the re-run looked for what is missing)"
                elif on_ledger:
                    fate = "landed, not acknowledged"
                else:
                    fate = "not on the ledger, not acknowledged"
                if on_ledger:
                    landed.add(in_flight)
                assert on_ledger in (0, len(flight.filings)), "one batch transaction is all or nothing"
            print(
                f"crash {crash:2}: killed {point}: {fate}; restart {restart:4.1f} s; "
                f"verified {len(new)} new + {len(old)} earlier acknowledged filings "
                f"({len(importer.acknowledged)} acknowledged so far, block {health['blockNumber']})"
            )
        # The re-run after the last crash: every batch again, only the missing filings anchored.
        importer.run(server.base_url)
        assert not importer.failures, importer.failures
        assert importer.finished()
        new = [c for c in importer.acknowledged if c not in verified_upto]
        _verify(server.base_url, new, office_of)
        print(
            f"re-run: the rest of the import anchored and verified ({len(new)} filings); "
            f"{len(importer.acknowledged)} acknowledged by a 201, {len(importer.landed_unacknowledged)} landed "
            f"without one; {server.starts} starts, {time.perf_counter() - started:.0f} s"
        )
    finally:
        server.stop()
    # From the ledger alone (a fresh index over the state dir's chain): each filing once, no conflict.
    state = StateDir(tmp_path / "state")
    deployment = state.deployment()
    assert deployment is not None
    chain = Chain.embedded(state.path)
    try:
        with Index(tmp_path / "rebuilt.sqlite", chain, deployment.contract) as index:
            index.sync()
            stats = index.stats()
            absent = [c for c, o in office_of.items() if not index.contains(o, bytes.fromhex(c[2:]))]
    finally:
        chain.close()
    assert absent == []
    assert stats.filings == len(office_of)
    assert stats.conflicts == 0
    torn = sorted(p.name for p in state.path.glob("chain.journal.torn-*"))
    print(f"ledger: {stats.filings} filings, {stats.conflicts} conflicts; torn tails moved aside: {torn or 'none'}")


_WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from registry.ledger import embedded
    from registry.ledger.chain import Chain

    embedded.DEFAULT_SNAPSHOT_POLICY = embedded.SnapshotPolicy(every_records=4, every_bytes=10**9, max_busy=1.0)
    chain = Chain.embedded(Path(sys.argv[1]))
    account = chain.funder
    payload = bytes(range(256)) * 400  # ~100 KB of calldata: appends that take a while to write
    while True:
        sent = chain.send(account, to=account.address, data=payload, gas=5_000_000)
        print(sent.block_number, flush=True)
    """
)


def test_sigkill_while_writing_never_leaves_a_chain_that_cannot_be_opened(tmp_path: Path) -> None:
    """A writer appending (and snapshotting) as fast as it can is killed at random points; each time the
    state dir opens again — torn tail cut off, snapshot or not — with every acknowledged block in it."""
    rng = random.Random(SEED + 1)
    state = tmp_path / "state"
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    print()
    for kill in range(1, 4):
        log = (tmp_path / f"writer-{kill}.log").open("w+")
        writer = subprocess.Popen(
            [sys.executable, "-c", _WRITER, str(state)], stdout=subprocess.PIPE, stderr=log, text=True, env=env
        )
        assert writer.stdout is not None
        first = writer.stdout.readline()  # the writer is up and writing
        assert first.strip(), log.read()
        time.sleep(rng.uniform(0.05, 0.6))
        writer.send_signal(signal.SIGKILL)
        acknowledged = [int(first), *(int(line) for line in writer.stdout.read().split())]
        writer.wait()
        writer.stdout.close()  # a pipe left to the collector is a ResourceWarning, an error here
        log.close()
        torn_before = set(state.glob("chain.journal.torn-*"))
        chain = Chain.embedded(state)
        head = chain.block_number()
        chain.close()
        torn = set(state.glob("chain.journal.torn-*")) - torn_before
        assert head >= max(acknowledged), f"block {max(acknowledged)} was acknowledged, the chain ends at {head}"
        snapshot = "present" if (state / "chain.snapshot").exists() else "none"
        print(
            f"kill {kill}: last acknowledged block {max(acknowledged)}, reopened at {head}; "
            f"torn tail {'cut off' if torn else 'none'}; snapshot {snapshot}"
        )
    shutil.rmtree(state)
