"""Issue 22 item 8: a full disk and a read-only lake end in one clear error, nothing half-written.

A full disk (ENOSPC) and a read-only raw zone (EROFS / EACCES) ended in tracebacks. Each is now
a :class:`~inventory.core.errors.LakeWriteError` naming the path and the action (free space /
make it writable), exit 2 on the CLI, and every writer removes what it staged: no partial
submission in raw/, no partial harmonised version, no partial release. The tests run as root
(where chmod does not stop writes), so the errors are raised by monkeypatched writers; a real
read-only bind mount is tried as well and skipped where mounting is not allowed.
"""

from __future__ import annotations

import errno
import os
import pathlib
import shutil
import subprocess

import pandas as pd
import pyarrow.parquet as pq
import pytest
from attacks import package, submit
from consistency import problems

from inventory.core.errors import LakeWriteError
from inventory.harmonise import store
from inventory.intake import submission
from inventory.interfaces import cli
from inventory.lake import releases
from inventory.lake.zones import Lake
from inventory.validation import validate

NO_SPACE = "No space left on device"


def _files(root: pathlib.Path) -> list[str]:
    """Every file and folder below ``root`` (hidden ones included), relative."""
    return sorted(p.relative_to(root).as_posix() for p in root.rglob("*"))


def _disk_full_after(calls: int, original):
    """``original`` that works ``calls`` times, then fails as a full disk does."""
    done = []

    def write(*args, **kwargs):
        if len(done) >= calls:
            raise OSError(errno.ENOSPC, NO_SPACE, str(args[1]))
        done.append(args)
        return original(*args, **kwargs)

    return write


def test_submit_on_a_full_disk_exits_2_and_leaves_raw_empty(tmp_path, monkeypatch, capsys):
    lake, pkg = Lake.at(tmp_path / "lake"), package(tmp_path)
    monkeypatch.setattr(shutil, "copyfile", _disk_full_after(2, shutil.copyfile))
    code = cli.main(["--lake", str(lake.root), "submit", str(pkg)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and "Traceback" not in err
    assert f"cannot be written: {NO_SPACE} (nothing was half-written)" in err
    assert f"action: free space on the disk holding {lake.root / 'raw' / 'IRL'}" in err
    assert _files(lake.root / "raw") == ["IRL"]  # the country folder only: no staging left


def test_a_read_only_raw_zone_refuses_the_submission_naming_the_folder(tmp_path, monkeypatch):
    lake, pkg = Lake.at(tmp_path / "lake"), package(tmp_path)
    original = os.rename

    def read_only(src, dst, *args, **kwargs):
        if str(dst).startswith(str(lake.root / "raw")):
            raise OSError(errno.EROFS, "Read-only file system", str(dst))
        return original(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "rename", read_only)
    with pytest.raises(LakeWriteError) as caught:
        submission.receive_submission(pkg, lake)
    assert "Read-only file system" in caught.value.message
    assert caught.value.action.startswith(f"make {lake.root / 'raw' / 'IRL'} writable")
    assert _files(lake.root / "raw") == ["IRL"]


def test_a_raw_zone_not_ours_refuses_at_the_first_folder(tmp_path, monkeypatch, capsys):
    lake, pkg = Lake.at(tmp_path / "lake"), package(tmp_path)
    original = pathlib.Path.mkdir

    def forbidden(self, *args, **kwargs):
        if str(self).startswith(str(lake.root / "raw")):
            raise PermissionError(errno.EACCES, "Permission denied", str(self))
        return original(self, *args, **kwargs)

    monkeypatch.setattr(pathlib.Path, "mkdir", forbidden)
    code = cli.main(["--lake", str(lake.root), "submit", str(pkg)])
    err = capsys.readouterr().err
    assert code == cli.EXIT_USAGE and "Permission denied" in err and "writable" in err
    assert _files(lake.root / "raw") == []


def test_harmonising_on_a_full_disk_keeps_the_current_version_whole(tmp_path, monkeypatch):
    lake = Lake.at(tmp_path / "lake")
    _, first, _ = submit(lake, package(tmp_path, "first"))
    versions = lake.root / "harmonised" / store.VERSIONS / "IRL"
    before = _files(lake.root / "harmonised")
    later = submission.receive_submission(package(tmp_path, "later"), lake)
    result = validate.validate_stored(later)

    def pyarrow_full(table, where, **kwargs):  # pyarrow's OSError carries errno in its text
        raise OSError(f"Error writing bytes to file. Detail: [errno 28] {NO_SPACE}")

    writes = _disk_full_after(1, pq.write_table)  # the first dataset, then a full disk
    monkeypatch.setattr(pq, "write_table", lambda t, w, **k: writes(t, w, **k)
                        if len(os.listdir(versions)) < 2 else pyarrow_full(t, w))  # fmt: skip
    with pytest.raises(LakeWriteError, match=NO_SPACE):
        store.file_outcome(lake, "IRL", later.submission_id, result)
    assert _files(lake.root / "harmonised") == before  # no partial version, no temp file
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == first
    assert not lake.validated("IRL", later.submission_id).exists()  # still "received"
    assert problems(lake.root) == []


def _tables(value: float) -> dict[str, pd.DataFrame]:
    return {"soc_stocks": pd.DataFrame({"country": ["IRL"], "year": [2000],
                                        "stock_tc": [value]})}  # fmt: skip


@pytest.mark.parametrize("step", ["history", "switch"])
def test_publishing_on_a_full_disk_leaves_the_previous_release_current(tmp_path, monkeypatch,
                                                                        step):  # fmt: skip
    lake = Lake.at(tmp_path / "lake")
    releases.write_run(lake, "run-1", _tables(1.0), {"countries": ["IRL"]})
    first = releases.publish_run(lake, "run-1")
    releases.write_run(lake, "run-2", _tables(2.0), {"countries": ["IRL"]})
    if step == "history":  # releases.parquet cannot be written
        monkeypatch.setattr(pq, "write_table", _disk_full_after(0, pq.write_table))
    else:  # the published link cannot be switched
        original = os.replace

        def full(src, dst, *args, **kwargs):
            if str(dst) == str(lake.published):
                raise OSError(errno.ENOSPC, NO_SPACE, str(dst))
            return original(src, dst, *args, **kwargs)

        monkeypatch.setattr(os, "replace", full)
    with pytest.raises(LakeWriteError, match=NO_SPACE):
        releases.publish_run(lake, "run-2")
    monkeypatch.undo()
    assert releases.current_release(lake) == first.path
    assert _files(lake.root / "releases") == [
        p for p in _files(lake.root / "releases") if p.startswith((first.release_id, "."))
    ]
    assert not [p for p in _files(lake.root / "releases") if p.startswith(".tmp-")]
    assert releases.read_published(lake, "soc_stocks")["stock_tc"].tolist() == [1.0]
    assert releases.publish_run(lake, "run-2").path != first.path  # repeated: it publishes


def test_a_real_read_only_bind_mount_of_raw(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    raw = lake.root / "raw"
    mounted = subprocess.run(["mount", "--bind", str(raw), str(raw)], capture_output=True)
    if mounted.returncode != 0:
        pytest.skip(f"no bind mount here (not permitted: {mounted.stderr.decode().strip()})")
    try:
        remount = subprocess.run(["mount", "-o", "remount,ro,bind", str(raw)],
                                 capture_output=True)  # fmt: skip
        if remount.returncode != 0:
            pytest.skip(f"no read-only remount here: {remount.stderr.decode().strip()}")
        with pytest.raises(LakeWriteError, match="Read-only file system") as caught:
            submission.receive_submission(package(tmp_path), lake)
        assert "writable" in caught.value.action
        assert _files(raw) == []
    finally:
        subprocess.run(["umount", str(raw)], capture_output=True)
