import os
import stat

import pytest

from ser_synth.utils import atomic_directory, atomic_write_text


def test_atomic_write_text_mode_and_content(tmp_path):
    path = atomic_write_text(tmp_path / "a" / "x.json", "{}")
    assert path.read_text() == "{}"
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
    assert [p.name for p in path.parent.iterdir()] == ["x.json"]


def test_atomic_directory_keeps_old_contents_on_failure(tmp_path):
    target = tmp_path / "model"
    with atomic_directory(target) as tmp:
        (tmp / "v1").write_text("1")
    with pytest.raises(RuntimeError):
        with atomic_directory(target) as tmp:
            (tmp / "v2").write_text("2")
            raise RuntimeError("crash while saving")
    assert sorted(p.name for p in target.iterdir()) == ["v1"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model"]  # no temp folders left
    with atomic_directory(target) as tmp:
        (tmp / "v3").write_text("3")
    assert sorted(p.name for p in target.iterdir()) == ["v3"]
