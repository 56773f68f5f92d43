"""fetch(): pinned sources, sha256 checks, atomic writes, skip-if-present, the V_228 derivation.

There is no network here: the URL table is pointed at file:// copies made in a tmp dir.
"""
import hashlib
import re
import shutil
from pathlib import Path

import numpy as np
import pytest

from stgkd.data import DataFormatError
from stgkd.data import fetch as fetch_module
from stgkd.data.fetch import ChecksumError, FetchError, fetch

SHARED = Path(__file__).resolve().parents[1].parent / "shared" / "data"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared/data not present")
V228_SHA = "e86a5793db563baefae445c44bc37a90c80351983a7f0434a30d84b9e3ebb723"


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def mirror(tmp_path, monkeypatch):
    """Copies of the shared files in tmp_path/mirror, with URLS pointing at them."""
    names = {("pemsd7m", "W_228.csv"): "pemsd7m/W_228.csv",
             ("pemsd7m", "station_info.csv"): "pemsd7m/station_info.csv",
             ("pemsd7m", "PEMS07M_OpenCity.zip"): "pemsd7m/PEMS07M_OpenCity.zip",
             ("losloop", "los_speed.csv"): "losloop/los_speed.csv",
             ("losloop", "los_adj.csv"): "losloop/los_adj.csv",
             ("pems08", "PEMS08.csv"): "pems08/PEMS08.csv"}
    assert set(names) == set(fetch_module.URLS)
    for key, relative in names.items():
        copy = tmp_path / "mirror" / relative
        copy.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(SHARED / relative, copy)
        monkeypatch.setitem(fetch_module.URLS, key, copy.as_uri())
    return tmp_path / "mirror"


def _no_leftovers(folder: Path) -> bool:
    return not [p for p in folder.iterdir() if p.name.endswith(".part")]


def test_urls_are_pinned_raw_github_files():
    assert fetch_module.URLS[("losloop", "los_speed.csv")] == (
        "https://raw.githubusercontent.com/lehaifeng/T-GCN/"
        "2988de7a205bad9671ee014e644c1d4cbe66bafb/data/los_speed.csv")
    assert fetch_module.URLS[("pems08", "PEMS08.csv")] == (
        "https://raw.githubusercontent.com/guoshnBJTU/ASTGNN/"
        "29ce7a17942e5e11d5fc15e61c6cd0cb2e64ec63/data/PEMS08/PEMS08.csv")
    for remotes in fetch_module.REMOTES.values():
        for remote in remotes:
            assert re.fullmatch(r"[0-9a-f]{40}", remote.commit)
            assert re.fullmatch(r"[0-9a-f]{64}", remote.sha256)


@needs_shared
def test_pinned_checksums_match_the_data_readme():
    readme = (SHARED / "README.md").read_text()
    for name, remotes in fetch_module.REMOTES.items():
        for remote in remotes:
            assert f"`{remote.repo} {remote.path}@{remote.commit}`" in readme
            assert remote.sha256 in readme
    assert fetch_module.V228_SHA256 == V228_SHA and V228_SHA in readme


@needs_shared
def test_fetch_losloop_then_skip_when_present(mirror, tmp_path, monkeypatch):
    dest = tmp_path / "data"
    logged = []
    paths = fetch("losloop", dest, log=logged.append)
    assert paths == [dest / "losloop" / "los_speed.csv", dest / "losloop" / "los_adj.csv"]
    for path in paths:
        assert _sha(path) == _sha(SHARED / "losloop" / path.name)
    assert _no_leftovers(dest / "losloop")
    # present with the right checksum: no download at all (the source is gone)
    for key in [("losloop", "los_speed.csv"), ("losloop", "los_adj.csv")]:
        monkeypatch.setitem(fetch_module.URLS, key, (tmp_path / "gone.csv").as_uri())
    logged.clear()
    assert fetch("losloop", dest, log=logged.append) == paths
    assert all(line.startswith("ok ") for line in logged)


@needs_shared
def test_fetch_replaces_a_corrupted_file(mirror, tmp_path):
    dest = tmp_path / "data"
    (dest / "losloop").mkdir(parents=True)
    (dest / "losloop" / "los_adj.csv").write_text("0,1\n1,0\n")
    logged = []
    fetch("losloop", dest, log=logged.append)
    assert _sha(dest / "losloop" / "los_adj.csv") == fetch_module.REMOTES["losloop"][1].sha256
    assert any("downloading it again" in line for line in logged)


@needs_shared
def test_checksum_mismatch_deletes_download_and_names_both_sums(mirror, tmp_path):
    source = mirror / "losloop" / "los_adj.csv"
    source.write_bytes(source.read_bytes().replace(b"1", b"2", 1))
    dest = tmp_path / "data"
    with pytest.raises(ChecksumError) as info:
        fetch("losloop", dest, log=lambda _: None)
    message = str(info.value)
    target = dest / "losloop" / "los_adj.csv"
    pinned = fetch_module.REMOTES["losloop"][1].sha256
    assert message.startswith(f"{target}: expected sha256 {pinned}")
    assert f"found sha256 {_sha(source)}" in message and source.as_uri() in message
    assert not target.exists() and _no_leftovers(dest / "losloop")


def test_failed_download_leaves_nothing(tmp_path, monkeypatch):
    monkeypatch.setitem(fetch_module.URLS, ("pems08", "PEMS08.csv"),
                        (tmp_path / "absent.csv").as_uri())
    with pytest.raises(FetchError, match="PEMS08.csv: download from file://"):
        fetch("pems08", tmp_path / "data", log=lambda _: None)
    assert list((tmp_path / "data" / "pems08").iterdir()) == []


@needs_shared
def test_fetch_pems08_edge_list_only(mirror, tmp_path):
    logged = []
    paths = fetch("pems08", tmp_path / "data", log=logged.append)
    assert paths == [tmp_path / "data" / "pems08" / "PEMS08.csv"]
    assert _sha(paths[0]) == "859d68e7583ed4e6016588eaaca494d3ece286dae361614c5c1833017f87eaa7"
    message = logged[-1]
    assert "PeMS08 is not included" in message
    assert str(tmp_path / "data" / "pems08" / "PEMS08.npz") in message


def test_fetch_unknown_name():
    with pytest.raises(ValueError, match="expected one of"):
        fetch("synthetic", "unused")


@needs_shared
def test_fetch_pemsd7m_derives_v228_with_readme_checksum(mirror, tmp_path, monkeypatch):
    dest = tmp_path / "data"
    paths = fetch("pemsd7m", dest, log=lambda _: None)
    folder = dest / "pemsd7m"
    assert paths == [folder / "W_228.csv", folder / "station_info.csv",
                     folder / "PEMS07M_OpenCity.zip", folder / "V_228.csv"]
    assert _sha(folder / "V_228.csv") == V228_SHA
    speeds = np.loadtxt(folder / "V_228.csv", delimiter=",", max_rows=3)
    np.testing.assert_array_equal(speeds[0], speeds[1])  # row 0 imputed as a copy of row 1
    assert _no_leftovers(folder)

    # V_228 present and right: the zip is not needed again
    (folder / "PEMS07M_OpenCity.zip").unlink()
    monkeypatch.setitem(fetch_module.URLS, ("pemsd7m", "PEMS07M_OpenCity.zip"),
                        (tmp_path / "gone.zip").as_uri())
    assert fetch("pemsd7m", dest, log=lambda _: None)[-1] == folder / "V_228.csv"
    assert not (folder / "PEMS07M_OpenCity.zip").exists()


@needs_shared
def test_derived_v228_checksum_mismatch(tmp_path, monkeypatch):
    monkeypatch.setattr(fetch_module, "V228_SHA256", "0" * 64)
    target = tmp_path / "V_228.csv"
    with pytest.raises(ChecksumError) as info:
        fetch_module.derive_v228(SHARED / "pemsd7m" / "PEMS07M_OpenCity.zip", target,
                                 log=lambda _: None)
    assert f"expected sha256 {'0' * 64}, found sha256 {V228_SHA}" in str(info.value)
    assert not target.exists() and _no_leftovers(tmp_path)


def test_derive_v228_rejects_a_wrong_zip(tmp_path):
    import zipfile
    archive = tmp_path / "bad.zip"
    with zipfile.ZipFile(archive, "w") as bundle:
        bundle.writestr("other.txt", "nothing")
    with pytest.raises(DataFormatError, match="bad.zip: expected a zip holding PEMS07M/"):
        fetch_module.derive_v228(archive, tmp_path / "V.csv", log=lambda _: None)
