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


def test_write_targets_in_the_way_raise_output_path_errors(tmp_path):
    from ser_synth.exceptions import OutputPathError
    from ser_synth.utils import ensure_folder

    (tmp_path / "notes.txt").write_text("keep me")
    (tmp_path / "folder").mkdir()
    with pytest.raises(OutputPathError, match=r"cannot write folder '.*notes\.txt': a file of that name exists"):
        with atomic_directory(tmp_path / "notes.txt"):
            pass
    with pytest.raises(OutputPathError, match=r"cannot write to '.*notes\.txt/sub/x\.json': '.*notes\.txt' is a file, not a folder"):
        atomic_write_text(tmp_path / "notes.txt" / "sub" / "x.json", "{}")
    with pytest.raises(OutputPathError, match=r"cannot write file '.*folder': it is a folder"):
        atomic_write_text(tmp_path / "folder", "{}")
    assert (tmp_path / "notes.txt").read_text() == "keep me"  # nothing was replaced
    assert sorted(p.name for p in tmp_path.iterdir()) == ["folder", "notes.txt"]  # and no temp files left
    assert ensure_folder(tmp_path / "a" / "b").is_dir()
