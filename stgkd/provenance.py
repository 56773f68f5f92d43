"""Where a result came from: code commit, machine, library versions, time."""
from __future__ import annotations

import datetime as dt
import os
import platform
import subprocess
from pathlib import Path

import torch

_REPO = Path(__file__).resolve().parents[1]
# the device of a training session that a resume state written before sessions were
# recorded holds (stgkd.train.FitResult.sessions)
UNRECORDED_DEVICE = "not recorded"


def git_commit(repo: Path = _REPO) -> str:
    """The checkout's HEAD commit, with ``-dirty`` when tracked files outside ``results/``
    differ (a run's own outputs and resume state are not code); ``unknown`` outside git."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=repo, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no", "--", ".",
                                ":(exclude)results"], cwd=repo,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return head + ("-dirty" if dirty else "")


def device_description(device: str | torch.device = "cpu") -> str:
    """``"NVIDIA H100 ..."`` for a GPU, the CPU model and thread count otherwise."""
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.get_device_name(device)
    model = platform.processor() or platform.machine()
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    return f"{model} ({torch.get_num_threads()} threads of {os.cpu_count()} CPUs)"


def now_iso() -> str:
    return dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds")


def provenance(device: str | torch.device, started: str, wall_time_s: float) -> dict:
    """The ``provenance`` block of a result file."""
    return {"commit": git_commit(), "device": device_description(device), "torch": torch.__version__,
            "python": platform.python_version(), "started": started,
            "wall_time_s": round(float(wall_time_s), 3)}


def data_files(sources) -> list[dict]:
    """``[{"path", "sha256"}]`` of every data file a run read (a series' ``sources``),
    each path resolved, so a result says exactly which copy of the data it came from."""
    from stgkd.data.fetch import sha256_file
    return [{"path": str(Path(source).resolve()), "sha256": sha256_file(Path(source))}
            for source in sources]
