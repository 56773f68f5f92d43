"""One run of an experiment, profile and seed at a time: a lock file beside the result.

``seed<S>.lock`` holds the process id, host and start time of the run that holds it.
It is held with an advisory ``flock`` (POSIX) for the life of the process, so a run killed
with ``kill -9`` or a power cut leaves no lock that is still held: the next run finds
the file, sees that no process holds it, says so and takes it over. A second run of
the same experiment, profile and seed while the first one is working refuses at once,
naming the lock, the process holding it and what to do.
"""
from __future__ import annotations

import fcntl
import json
import os
import socket
import sys
from pathlib import Path

from stgkd.io import interrupted_writes
from stgkd.provenance import now_iso


class RunLockedError(RuntimeError):
    """Another process is running the same experiment, profile and seed."""


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:   # a process of another user
        return True
    return True


class RunLock:
    """The lock of one run, taken on ``with`` and released (the file removed) on exit.

    On taking the lock, the temporary files of an interrupted atomic write of this
    run (``.seed<S>.*.tmp``, see :func:`stgkd.io.interrupted_writes`) are removed.

    Args:
        path: the lock file, ``seed<S>.lock`` beside the run's result.
        what: the run in words, for the messages ("kd/losloop/teacher, profile smoke,
            seed 0").
        command: the command that runs it, for the messages.
    """

    def __init__(self, path: str | Path, what: str, command: str = ""):
        self.path, self.what, self.command = Path(path), what, command
        self._fd: int | None = None
        self.created_folders: list[Path] = []   # made by this lock, the innermost first
        self.taken_over: dict | None = None   # the stale lock's content, when taken over

    def __enter__(self) -> "RunLock":
        self.acquire()
        return self

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> None:
        """Take the lock or raise :class:`RunLockedError`; a stale lock is taken over with a
        note on standard error."""
        folder = self.path.parent
        missing = [folder, *folder.parents]
        self.created_folders = [f for f in missing[:next(i for i, f in enumerate(missing)
                                                         if f.is_dir())]]
        folder.mkdir(parents=True, exist_ok=True)
        while True:
            try:
                fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666)
            except FileNotFoundError:   # a run of another seed that stored nothing removed
                folder.mkdir(parents=True, exist_ok=True)   # the folder meanwhile
                continue
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                holder = _read_holder(fd)
                os.close(fd)
                raise RunLockedError(self._held_message(holder)) from None
            # the file may have been removed (and another one made) by the run that held it
            # between our open and our flock: then lock the file that is there now
            try:
                same = os.stat(self.path).st_ino == os.fstat(fd).st_ino
            except FileNotFoundError:
                same = False
            if same:
                break
            os.close(fd)
        previous = _read_holder(fd)
        if previous:
            self.taken_over = previous
            print(f"note: {self.path}: taking over the lock left by process "
                  f"{previous.get('pid', '?')} on {previous.get('host', '?')} (since "
                  f"{previous.get('started', '?')}), which no longer holds it "
                  f"({_why_stale(previous)}); that run was interrupted and this one resumes it",
                  file=sys.stderr)
        holder = {"pid": os.getpid(), "host": socket.gethostname(), "started": now_iso(),
                  "run": self.what, "command": self.command}
        os.ftruncate(fd, 0)
        os.pwrite(fd, (json.dumps(holder) + "\n").encode(), 0)
        os.fsync(fd)
        self._fd = fd
        # no other run of this seed writes now: what a killed one was writing is garbage
        leftovers = interrupted_writes(self.path.parent, self.path.stem)
        for leftover in leftovers:
            leftover.unlink(missing_ok=True)
        if leftovers:
            print(f"note: removed {len(leftovers)} temporary file(s) of an interrupted write: "
                  f"{', '.join(p.name for p in leftovers)}", file=sys.stderr)

    def release(self) -> None:
        """Remove the lock file and let it go; the folders this lock made too, when nothing
        else is in them (a run refused before it stored anything leaves nothing behind)."""
        if self._fd is None:
            return
        try:
            self.path.unlink(missing_ok=True)
        finally:
            os.close(self._fd)     # closing releases the flock
            self._fd = None
        for folder in self.created_folders:   # a run that stored nothing leaves nothing
            try:
                folder.rmdir()
            except OSError:                    # not empty: the run stored its files there
                break

    def _held_message(self, holder: dict) -> str:
        pid, host = holder.get("pid", "?"), holder.get("host", "?")
        since = holder.get("started", "?")
        what = f"process {pid} on host {host}, since {since}"
        if holder.get("command"):
            what += f" (`{holder['command']}`)"
        return (f"{self.path}: another run of {self.what} is in progress: {what} holds this "
                f"lock; wait for it to finish (its result will then be stored and reused), or "
                f"stop that process (it can be resumed later with the same command)")


def _read_holder(fd: int) -> dict:
    """The content of a lock file: {} when empty or not a lock's JSON."""
    try:
        text = os.pread(fd, 4096, 0).decode(errors="replace").strip()
        holder = json.loads(text) if text else {}
    except (OSError, ValueError):
        return {}
    return holder if isinstance(holder, dict) else {}


def _why_stale(holder: dict) -> str:
    """Why a lock whose flock nobody holds was left: in words, for the note."""
    pid = holder.get("pid")
    if holder.get("host") != socket.gethostname():
        return "it was taken on another host"
    if isinstance(pid, int) and _alive(pid):
        return "its process id now names another process"
    return "not running"


def lock_run(profile: str, experiment: str, seed: int, results_dir=None) -> RunLock:
    """The :class:`RunLock` of one run: ``seed<S>.lock`` beside its result."""
    from stgkd.runs import result_path
    return RunLock(result_path(profile, experiment, seed, results_dir, ".lock"),
                   f"{experiment} (profile {profile}, seed {seed})",
                   f"stgkd run {experiment} --profile {profile} --seed {seed}")
