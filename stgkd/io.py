"""Atomic file writes: a file is either its old or its new content, never half written."""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import torch


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def _atomic(path: Path, write) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            write(handle)
            handle.flush()
            os.fsync(handle.fileno())
        os.chmod(tmp, 0o666 & ~_umask())  # mkstemp makes 0600; give the usual permissions
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_json(path: str | Path, payload) -> None:
    """Write ``payload`` as indented JSON atomically."""
    text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
    _atomic(Path(path), lambda handle: handle.write(text.encode()))


def save_torch(path: str | Path, payload) -> None:
    """``torch.save`` atomically."""
    _atomic(Path(path), lambda handle: torch.save(payload, handle))
