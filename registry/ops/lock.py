"""One writer per state directory (docs/design.md#p8-one-writer-per-state-directory; docs/api.md#command-line).

Every command that writes a state directory (``serve``, ``anchor``, ``import``, ``deploy``,
``admit``, ``keys create|import``, ``state check --repair``) first takes an exclusive ``flock`` on
``<state dir>/writer.lock`` and keeps it until it exits. A second writer is refused at once with
:class:`StateDirLocked` (exit status 2, one line naming the holder's pid); it never waits and
never touches the journal, the index or the keys. Read-only commands (``verify``, ``family``,
``state check``) take no lock and write nothing.

Why ``flock``: the kernel releases it when the holder dies, however it dies (SIGKILL, power loss
of the process), so a crashed gateway never leaves a stale lock to clean up by hand; the pid
written into the file is for the message only, never used to decide who holds the lock.

The lock belongs to an *open file description*, not to a process. That is the seam for a gateway
with several worker processes (issue 18, ``serve --workers N``): the parent takes the lock, and its
workers share it — a forked worker inherits the descriptor as is; a spawned one is started with
:meth:`StateLock.inheritable_env` in its environment and the descriptor in ``pass_fds``, and calls
:meth:`StateLock.adopt`. The lock then stays held until the last of them exits, and a writer from
outside is refused all that time.
"""

from __future__ import annotations

import errno
import fcntl
import os
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from types import TracebackType

from registry.errors import RegistryError, StateDirLocked

__all__ = ["LOCK_FD_ENV_VAR", "LOCK_FILE_NAME", "StateDirLocked", "StateLock", "holder_of", "writer_lock"]

LOCK_FILE_NAME = "writer.lock"
#: Names the inherited lock descriptor in a worker process started by a gateway (see :meth:`StateLock.adopt`).
LOCK_FD_ENV_VAR = "PRIOREG_STATE_LOCK_FD"
# The holder writes its pid right after flock() returns; a refused writer that reads the file in
# that instant waits this long for it, so that its one line can name the holder.
_PID_WAIT = 0.2


def holder_of(state_dir: Path) -> str | None:
    """What the lock file says about its last holder (``"pid 123 (prioreg serve)"``), or None when empty.

    Only for messages: the file keeps the pid of a holder that was killed, so it does not say
    whether the lock is held (only ``flock`` does).
    """
    try:
        text = (Path(state_dir) / LOCK_FILE_NAME).read_text(encoding="utf-8").strip()
    except (OSError, UnicodeDecodeError):
        return None
    return text.splitlines()[0] if text else None


class StateLock:
    """The exclusive writer lock of one state directory, held from :meth:`acquire` until :meth:`release`."""

    def __init__(self, state_dir: Path, fd: int, *, owner: bool) -> None:
        self.state_dir = Path(state_dir)
        self._fd: int | None = fd
        # The process that took the lock clears the pid on release; a worker that adopted it does not.
        self._owner = owner

    @property
    def path(self) -> Path:
        """``<state dir>/writer.lock``."""
        return self.state_dir / LOCK_FILE_NAME

    @property
    def fd(self) -> int:
        """The locked descriptor (for a worker process to inherit)."""
        if self._fd is None:
            raise RegistryError(f"the writer lock of {self.state_dir} was released")
        return self._fd

    @property
    def held(self) -> bool:
        """Whether this object still holds the lock."""
        return self._fd is not None

    @classmethod
    def acquire(cls, state_dir: Path, *, command: str | None = None) -> StateLock:
        """Take the lock of ``state_dir`` (created, owner-only, if missing) or raise :class:`StateDirLocked` at once."""
        directory = Path(state_dir)
        try:
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        except FileExistsError:  # a file of that name: mkdir's exist_ok covers only a directory
            raise RegistryError(f"{directory} is not a directory: give --state-dir a folder, new or existing") from None
        except OSError as exc:
            raise RegistryError(f"cannot create the state directory {directory}: {exc.strerror}") from None
        path = directory / LOCK_FILE_NAME
        fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno not in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                raise RegistryError(f"cannot lock {path}: {exc.strerror}") from None
            raise _refusal(directory) from None
        what = command or _command_line()
        os.ftruncate(fd, 0)
        os.pwrite(fd, f"pid {os.getpid()} ({what})\n".encode(), 0)
        return cls(directory, fd, owner=True)

    @classmethod
    def adopt(cls, state_dir: Path) -> StateLock:
        """In a gateway's worker process: the lock its parent took and passed down (``PRIOREG_STATE_LOCK_FD``).

        Checks that the descriptor is the lock file of ``state_dir`` and that it holds the lock
        (``flock`` on the same open file description succeeds at once; on another it would not).
        """
        value = os.environ.get(LOCK_FD_ENV_VAR)
        path = Path(state_dir) / LOCK_FILE_NAME
        if not value or not value.isdigit():
            raise RegistryError(f"no inherited writer lock (${LOCK_FD_ENV_VAR} is unset)")
        fd = int(value)
        try:
            same = os.path.samestat(os.fstat(fd), os.stat(path))
        except OSError:
            same = False
        if not same:
            raise RegistryError(f"descriptor {fd} is not the writer lock of {state_dir}")
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise _refusal(Path(state_dir)) from None
        return cls(Path(state_dir), fd, owner=False)

    def inheritable_env(self) -> dict[str, str]:
        """Make the descriptor inheritable and return the environment entry a spawned worker needs."""
        os.set_inheritable(self.fd, True)
        return {LOCK_FD_ENV_VAR: str(self.fd)}

    def moved_to(self, state_dir: Path) -> None:
        """Record that the locked directory was renamed (a state directory built beside and moved in place)."""
        self.state_dir = Path(state_dir)

    def release(self) -> None:
        """Clear the pid (when this process took the lock) and release it; safe to call twice."""
        fd, self._fd = self._fd, None
        if fd is None:
            return
        try:
            if self._owner:
                os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
        finally:
            os.close(fd)

    def __enter__(self) -> StateLock:
        return self

    def __exit__(self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None) -> None:
        self.release()


@contextmanager
def writer_lock(state_dir: Path, *, command: str) -> Iterator[StateLock]:
    """Hold the writer lock of ``state_dir`` for the ``with`` block (a command's whole run).

    A directory this made (it did not exist) and that holds nothing but the lock when the block
    fails is removed again: a refused or failed first command leaves nothing behind.
    """
    path = Path(state_dir)
    existed = path.exists()
    lock = StateLock.acquire(path, command=command)
    try:
        yield lock
    except BaseException:
        if not existed:
            _remove_if_only_lock(path)
        raise
    finally:
        lock.release()


def _remove_if_only_lock(path: Path) -> None:
    try:
        if [p.name for p in path.iterdir()] != [LOCK_FILE_NAME]:
            return
        (path / LOCK_FILE_NAME).unlink()
        path.rmdir()
    except OSError:
        pass  # another process put something there meanwhile: it is theirs now


def _refusal(directory: Path) -> StateDirLocked:
    deadline = time.monotonic() + _PID_WAIT
    holder = holder_of(directory)
    while holder is None and time.monotonic() < deadline:
        time.sleep(0.01)
        holder = holder_of(directory)
    pid: int | None = None
    if holder is not None and holder.startswith("pid "):
        first = holder.split()[1]
        pid = int(first) if first.isdigit() else None
    who = holder or "another process"
    return StateDirLocked(
        f"{directory} is in use by {who}: one writer per state directory; stop it or use another --state-dir",
        pid=pid,
    )


def _command_line() -> str:
    # "prioreg serve", "prioreg anchor": the program and its subcommand, no options (they may hold paths).
    argv = sys.argv
    name = Path(argv[0]).name if argv else "python"
    if name in ("__main__.py", "cli.py"):
        name = "prioreg"
    words = [name, *(a for a in argv[1:3] if not a.startswith("-"))]
    return " ".join(words[:3])
