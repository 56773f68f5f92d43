"""Stored files: atomic writes (a file is either its old or its new content, never half
written) and safe reads (a checkpoint cannot run code, a corrupt file is named)."""
from __future__ import annotations

import json
import os
import pickle
import re
import tempfile
import warnings
from contextlib import contextmanager
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


def check_output_path(path: str | Path, what: str = "the output") -> Path:
    """``path`` as a Path when a file can be written there, else a clear error: a folder
    given instead of a file name, a folder that does not exist, a parent that is not a
    folder, or one this process may not write to (``OSError`` subclasses, each message
    naming the path and what to do)."""
    path = Path(path).expanduser()
    parent = path.parent
    if path.is_dir():
        raise IsADirectoryError(f"{path}: expected a file name for {what}, found a folder; "
                                f"name a file, e.g. {path / 'out'}")
    if not parent.exists():
        raise FileNotFoundError(f"{path}: expected the folder {parent} for {what}, found none; "
                                f"create it first")
    if not parent.is_dir():
        raise NotADirectoryError(f"{path}: expected {parent} to be a folder for {what}, found a "
                                 f"file")
    if not os.access(parent, os.W_OK | os.X_OK):
        raise PermissionError(f"{path}: cannot write {what} there: the folder {parent} is not "
                              f"writable")
    return path


@contextmanager
def atomic_path(path: str | Path):
    """Yield a temporary file name beside ``path`` (``.<name>.*.tmp``) for a writer that
    wants a file name (e.g. ``torch.onnx.export``); when the block ends without an error
    the file replaces ``path`` in one step, otherwise it is removed."""
    path = Path(path)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as error:
        raise OSError(f"{path}: cannot write the file there ({error.strerror})") from None
    os.close(fd)
    try:
        yield Path(tmp)
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically."""
    _atomic(Path(path), lambda handle: handle.write(text.encode()))


def interrupted_writes(folder: str | Path, name_prefix: str) -> list[Path]:
    """The temporary files ``.<name>.*.tmp`` an interrupted atomic write (a killed
    process) left in ``folder``, for the files whose names start with ``name_prefix.``
    (e.g. ``seed0``: ``seed0.json``, ``seed0.pt``, ``seed0.resume.pt``)."""
    return sorted(Path(folder).glob(f".{name_prefix}.*.tmp"))


def write_json(path: str | Path, payload) -> None:
    """Write ``payload`` as indented JSON atomically."""
    text = json.dumps(payload, indent=2, sort_keys=False) + "\n"
    _atomic(Path(path), lambda handle: handle.write(text.encode()))


def save_torch(path: str | Path, payload) -> None:
    """``torch.save`` atomically."""
    _atomic(Path(path), lambda handle: torch.save(payload, handle))


# what to do with an unusable run checkpoint or result
RERUN_REMEDY = "re-run the experiment that wrote it with `stgkd run <experiment> --force`"


class StoredFileError(ValueError):
    """A stored checkpoint, resume state or result file that cannot be used.

    The message names the file, says what is wrong with it and what to do
    (re-run the experiment, or delete a resume state to start afresh).
    """

    def __init__(self, path: str | Path, problem: str, remedy: str = ""):
        self.path = Path(path)
        message = f"{self.path}: {problem}"
        if remedy:
            message += f"; {remedy}"
        super().__init__(message)


def read_torch(path: str | Path, remedy: str = "", map_location="cpu"):
    """Read a checkpoint or state written by :func:`save_torch`, without running code.

    Every ``.pt`` file stgkd reads goes through here. It is loaded with
    ``weights_only=True``: tensors, dicts, lists, tuples, strings, numbers and
    ``None`` only (what stgkd stores), so a crafted file cannot run code on load.

    Args:
        path: the file.
        remedy: what the user should do when the file is unusable, e.g. "re-run
            `stgkd run kd/pemsd7m/teacher`" or "delete it to start afresh".

    Raises:
        FileNotFoundError: no such file.
        StoredFileError: the file asks to build Python objects (refused, not loaded),
            or it is cut or corrupt.
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"{path}: expected a checkpoint file, found none"
                                + (f"; {remedy}" if remedy else ""))
    try:
        with warnings.catch_warnings():
            # files written by torch.save use pickle protocol 4 by default, which the
            # weights_only unpickler reads but warns about
            warnings.filterwarnings("ignore", message="Detected pickle protocol")
            return torch.load(path, map_location=map_location, weights_only=True)
    except pickle.UnpicklingError as error:
        found = _refused_global(str(error))
        if found is not None:
            raise StoredFileError(
                path, f"refused to load: expected only tensors and plain values (what stgkd "
                      f"stores), found a request to build the Python object {found}, which can "
                      f"run code; the file was not written by stgkd or was altered, and nothing "
                      f"in it was loaded", remedy) from None
        detail = next((line.strip() for line in str(error).splitlines()
                       if line.strip().startswith("Unsupported")), "not a pickle stream")
        raise StoredFileError(path, f"expected a PyTorch checkpoint, found garbled bytes "
                                    f"({detail})", remedy) from None
    except (RuntimeError, EOFError, OSError, ValueError, KeyError, IndexError,
            AttributeError, TypeError) as error:
        # a cut zip archive ("failed finding central directory"), an empty file, ...
        raise StoredFileError(path, f"expected a PyTorch checkpoint, found a cut or corrupt file "
                                    f"({type(error).__name__}: {_first_line(error)})",
                              remedy) from None


def _first_line(error: BaseException) -> str:
    lines = [line for line in str(error).splitlines() if line.strip()]
    return lines[0] if lines else "no detail"


def _refused_global(message: str) -> str | None:
    """The global torch's weights_only unpickler refused to build, from its message;
    None when the refusal is of something else (e.g. an unknown pickle opcode)."""
    match = re.search(r"unsupported GLOBAL (\S+)", message, flags=re.IGNORECASE)
    if match:
        return match.group(1)
    match = re.search(r"Unsupported (?:global|class):? (?:GLOBAL )?(\S+)", message)
    return match.group(1) if match else None


def read_json(path: str | Path, remedy: str = ""):
    """Read a JSON file stgkd wrote; a cut or garbled file raises :class:`StoredFileError`
    naming it (instead of a bare ``JSONDecodeError``)."""
    path = Path(path)
    try:
        return json.loads(path.read_text())
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        raise StoredFileError(path, f"expected a JSON document, found a cut or garbled file "
                                    f"({error})", remedy) from None
