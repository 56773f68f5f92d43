"""Download the public data sets into ``<dest>/<name>/`` and verify every file by sha256.

Sources are pinned GitHub files (owner/repo path@commit, see the data README);
``URLS`` maps ``(dataset, filename)`` to the download address and may be pointed
elsewhere (a mirror, or ``file://`` copies in tests). Downloads go to a temporary
file in the destination folder and are moved into place (``os.replace``) only
once their checksum matches, so an interrupted or corrupted download never
leaves a file that looks complete. Files already present with the right
checksum are not downloaded again.
"""
from __future__ import annotations

import hashlib
import io
import os
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import numpy as np

from stgkd.data.errors import DataFormatError


@dataclass(frozen=True)
class Remote:
    """One file of a public repository, pinned to a commit, with its sha256."""

    filename: str  # the name it gets in <dest>/<dataset>/
    repo: str      # owner/name on GitHub
    path: str      # path inside the repository
    commit: str
    sha256: str

    @property
    def url(self) -> str:
        return f"https://raw.githubusercontent.com/{self.repo}/{self.commit}/{self.path}"


REMOTES: dict[str, tuple[Remote, ...]] = {
    "pemsd7m": (
        Remote("W_228.csv", "rezahabibi96/gnn", "data/PEMSD7/PeMSD7_W_228.csv",
               "838586ec0d6061aa5ee1d0d5e1357339d7fedc55",
               "c558c602b7937fb3ecb3835938fe8f61a34efa4c51e0ae3f61ed93ecc680060e"),
        Remote("station_info.csv", "VeritasYin/STGCN_IJCAI-18",
               "dataset/PeMSD7_M_Station_Info.csv", "26308e61a5c61609577c31f39bd432f1768ceacc",
               "5a9744215880f2ec1a5b3efdbd6ee662eb1533b9b3d68924d85f5e45c28a02fe"),
        Remote("PEMS07M_OpenCity.zip", "Beater-221E/OpenCity-reproduce", "data/PEMS07M.zip",
               "761c8723dde9c26d0ac4689341e47cf44857aec2",
               "6fc2550c447dee4c81838b50dafa5bd75c7abcd8c0272d55610a2a7f5c84de3c"),
    ),
    "losloop": (
        Remote("los_speed.csv", "lehaifeng/T-GCN", "data/los_speed.csv",
               "2988de7a205bad9671ee014e644c1d4cbe66bafb",
               "7b732d86ae32b2930595becba28aff39dacbfb2197e250fc0332e1744ce2cbf4"),
        Remote("los_adj.csv", "lehaifeng/T-GCN", "data/los_adj.csv",
               "2988de7a205bad9671ee014e644c1d4cbe66bafb",
               "7a6eb41e10677992b5af50f5ab187c6c05c5c3a92cb973950cfddbf857361e76"),
    ),
    "pems08": (
        Remote("PEMS08.csv", "guoshnBJTU/ASTGNN", "data/PEMS08/PEMS08.csv",
               "29ce7a17942e5e11d5fc15e61c6cd0cb2e64ec63",
               "859d68e7583ed4e6016588eaaca494d3ece286dae361614c5c1833017f87eaa7"),
    ),
}

# (dataset, filename) -> address; tests and mirrors may change entries.
URLS: dict[tuple[str, str], str] = {(name, remote.filename): remote.url
                                    for name, remotes in REMOTES.items() for remote in remotes}

# V_228.csv is derived from the OpenCity zip (see derive_v228); its checksum is the data README's.
V228_FILE = "V_228.csv"
V228_SHA256 = "e86a5793db563baefae445c44bc37a90c80351983a7f0434a30d84b9e3ebb723"
V228_SHAPE = (12672, 228)


class ChecksumError(DataFormatError):
    """A downloaded or derived file does not have the pinned sha256."""


class FetchError(FileNotFoundError):
    """A download failed (no network, missing page, ...): the file could not be obtained.

    A FileNotFoundError so that callers that report missing files (the CLI) report this too.
    """


def fetch(name: str, dest: str | Path = "data",
          log: Callable[[str], None] | None = None) -> list[Path]:
    """Download data set ``name`` into ``<dest>/<name>/`` and return its files' paths.

    ``pemsd7m``: ``W_228.csv``, ``station_info.csv``, the OpenCity zip and
    ``V_228.csv`` derived from it; ``losloop``: ``los_speed.csv``,
    ``los_adj.csv``; ``pems08``: the edge list ``PEMS08.csv`` only (the full
    ``PEMS08.npz`` must be supplied by the user; a message says where to get it).

    Raises:
        ValueError: ``name`` has nothing to download.
        ChecksumError: a file's sha256 differs from the pinned one (the download
            is deleted).
        FetchError: a download failed.
    """
    log = log or (lambda message: print(message, file=sys.stderr))
    if name not in REMOTES:
        raise ValueError(f"dataset: expected one of {sorted(REMOTES)} to fetch, found {name!r}")
    folder = Path(dest).expanduser() / name
    folder.mkdir(parents=True, exist_ok=True)
    remotes = {remote.filename: remote for remote in REMOTES[name]}
    paths: list[Path] = []
    if name == "pemsd7m":
        for filename in ("W_228.csv", "station_info.csv"):
            paths.append(download(URLS[(name, filename)], folder / filename,
                                  remotes[filename].sha256, log))
        target = folder / V228_FILE
        archive = folder / "PEMS07M_OpenCity.zip"
        if _has_checksum(target, V228_SHA256):
            log(f"ok {target} (sha256 matches)")
        else:
            download(URLS[(name, archive.name)], archive, remotes[archive.name].sha256, log)
            derive_v228(archive, target, log)
        if archive.is_file():
            paths.append(archive)
        paths.append(target)
        return paths
    for filename, remote in remotes.items():
        paths.append(download(URLS[(name, filename)], folder / filename, remote.sha256, log))
    if name == "pems08":
        from stgkd.data.pems08 import SOURCES_HINT
        full = folder / "PEMS08.npz"
        if full.is_file():
            log(f"found {full}; stgkd does not download it")
        else:
            log("PeMS08: only the edge list is downloaded. " + SOURCES_HINT.format(target=full))
    return paths


def download(url: str, target: Path, sha256: str, log: Callable[[str], None]) -> Path:
    """Make ``target`` a verified copy of ``url``; skip when it already has ``sha256``."""
    target = Path(target)
    if target.is_file():
        if _has_checksum(target, sha256):
            log(f"ok {target} (sha256 matches)")
            return target
        log(f"{target}: sha256 differs from {sha256}; downloading it again")
    log(f"downloading {url} -> {target}")
    with _temporary(target) as (handle, tmp):
        digest = hashlib.sha256()
        try:
            with urllib.request.urlopen(url, timeout=60) as response:
                while chunk := response.read(1 << 20):
                    digest.update(chunk)
                    handle.write(chunk)
        except (urllib.error.URLError, OSError) as error:
            raise FetchError(f"{target}: download from {url} failed ({error}). Without network "
                             f"access, copy the file there by hand (expected sha256 "
                             f"{sha256})") from None
        _commit(handle, tmp, target, sha256, digest.hexdigest(), f"downloaded from {url}")
    return target


def derive_v228(archive: Path, target: Path, log: Callable[[str], None] | None = None) -> Path:
    """Write PeMSD7(M)'s ``V_228.csv`` [12672, 228] from the OpenCity ``PEMS07M.zip``.

    The zip's ``PEMS07M.npz`` ``data`` [12672, 228] holds the original rows
    1..12671 followed by a copy of original row 1 (the original row 0 is lost).
    ``V_228 = [data[0]; data[:-1]]``: row 0 imputed as a copy of row 1, rows
    1..12671 real; written ``%.1f``, comma-separated, no header, and checked
    against the data README's sha256.
    """
    try:
        with zipfile.ZipFile(archive) as bundle:
            members = [m for m in bundle.namelist() if m.endswith("PEMS07M.npz")]
            if not members:
                raise DataFormatError(archive, "a zip holding PEMS07M/PEMS07M.npz",
                                      f"members {bundle.namelist()}")
            with np.load(io.BytesIO(bundle.read(members[0])), allow_pickle=False) as npz:
                data = np.asarray(npz["data"], dtype=np.float64)
    except (zipfile.BadZipFile, KeyError, ValueError, OSError) as error:
        if isinstance(error, DataFormatError):
            raise
        raise DataFormatError(archive, "the OpenCity PEMS07M.zip with PEMS07M.npz (key 'data')",
                              f"unreadable content ({error})") from None
    if data.shape != V228_SHAPE:
        raise DataFormatError(archive, f"PEMS07M.npz data of shape {list(V228_SHAPE)}",
                              f"shape {list(data.shape)}")
    log = log or (lambda message: print(message, file=sys.stderr))
    body = data[:-1]  # original rows 1..12671
    speeds = np.vstack([body[:1], body])
    log(f"deriving {target} from {archive} (row 0 imputed as a copy of row 1)")
    with _temporary(target) as (handle, tmp):
        buffer = io.BytesIO()
        np.savetxt(buffer, speeds, fmt="%.1f", delimiter=",")
        content = buffer.getvalue()
        handle.write(content)
        _commit(handle, tmp, target, V228_SHA256, hashlib.sha256(content).hexdigest(),
                f"derived from {archive}")
    return target


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(1 << 20):
            digest.update(chunk)
    return digest.hexdigest()


def _has_checksum(path: Path, sha256: str) -> bool:
    return path.is_file() and sha256_file(path) == sha256


class _temporary:
    """Context: a temporary file next to ``target``, deleted on exit unless moved into place."""

    def __init__(self, target: Path):
        self.target = Path(target)

    def __enter__(self):
        self.target.parent.mkdir(parents=True, exist_ok=True)
        fd, name = tempfile.mkstemp(dir=self.target.parent, prefix=f".{self.target.name}.",
                                    suffix=".part")
        self.tmp = Path(name)
        self.handle = os.fdopen(fd, "wb")
        return self.handle, self.tmp

    def __exit__(self, *exc_info):
        if not self.handle.closed:
            self.handle.close()
        self.tmp.unlink(missing_ok=True)  # gone already when _commit moved it into place
        return False


def _commit(handle, tmp: Path, target: Path, expected: str, found: str, origin: str) -> None:
    """Move ``tmp`` onto ``target`` when ``found == expected``; raise otherwise (tmp is deleted)."""
    handle.close()
    if found != expected:
        raise ChecksumError(target, f"sha256 {expected}", f"sha256 {found} ({origin})",
                            "The file was deleted. Fetch again; if it persists, the source "
                            "changed: compare it with the data README")
    os.chmod(tmp, 0o644)  # mkstemp creates 0600; data files are meant to be shared
    os.replace(tmp, target)
