"""Atomic writes, folder swaps and bounded reads: an interruption leaves the previous complete files."""

import os

import pytest

from explorer.core import files
from explorer.core.files import atomic_write_bytes, read_regular_file, staged_folder


def test_atomic_write_replaces_the_file(tmp_path):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"old")
    atomic_write_bytes(path, b"new")
    assert path.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["a.bin"]
    assert path.stat().st_mode & 0o777 == files.FILE_MODE


@pytest.mark.parametrize("stage", ["fsync", "replace"])
def test_an_interrupted_write_keeps_the_previous_file(tmp_path, monkeypatch, stage):
    path = tmp_path / "a.bin"
    atomic_write_bytes(path, b"old")

    def fail(*args):
        raise KeyboardInterrupt

    monkeypatch.setattr(files.os, stage, fail)
    with pytest.raises(KeyboardInterrupt):
        atomic_write_bytes(path, b"new" * 1000)
    assert path.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["a.bin"]


def test_an_interrupted_weights_export_keeps_the_previous_files(tmp_path, monkeypatch):
    import torch

    from explorer.priors.unet import EnergyUNet
    from explorer.priors.weights import load_model, model_config, save_weights

    path = tmp_path / "prior.safetensors"
    model = EnergyUNet((4, 8))
    save_weights(model.state_dict(), path, model_config(model, 16, 1))
    before = {p.name: p.read_bytes() for p in tmp_path.iterdir()}

    def disk_full(fd):
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(files.os, "fsync", disk_full)
    with torch.no_grad():
        next(model.parameters()).add_(1.0)
    with pytest.raises(OSError):
        save_weights(model.state_dict(), path, model_config(model, 16, 2))
    assert {p.name: p.read_bytes() for p in tmp_path.iterdir()} == before
    monkeypatch.undo()
    load_model(path)


def test_a_staged_folder_replaces_the_old_set(tmp_path):
    target = tmp_path / "out"
    for text in ("old", "new"):
        with staged_folder(target, ["a.txt"]) as folder:
            (folder / "a.txt").write_text(text)
    assert (target / "a.txt").read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_failure_while_filling_or_swapping_keeps_the_old_set(tmp_path, monkeypatch):
    target = tmp_path / "out"
    with staged_folder(target, ["a.txt"]) as folder:
        (folder / "a.txt").write_text("old")
    with pytest.raises(RuntimeError), staged_folder(target, ["a.txt"]) as folder:
        (folder / "a.txt").write_text("half")
        raise RuntimeError("the solve failed")
    assert (target / "a.txt").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out"]
    real_replace, calls = os.replace, []

    def second_rename_fails(src, dst):
        calls.append(src)
        if len(calls) == 2:
            raise OSError("rename failed")
        real_replace(src, dst)

    monkeypatch.setattr(files.os, "replace", second_rename_fails)
    with pytest.raises(OSError), staged_folder(target, ["a.txt"]) as folder:
        (folder / "a.txt").write_text("new")
    assert (target / "a.txt").read_text() == "old" and [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_staged_folder_refuses_files_it_does_not_own(tmp_path):
    (tmp_path / "mine.txt").write_text("keep")
    with pytest.raises(ValueError, match="mine.txt"), staged_folder(tmp_path, ["a.txt"]):
        pass
    (tmp_path / "file").write_text("x")
    with pytest.raises(ValueError, match="not a folder"), staged_folder(tmp_path / "file", ["a.txt"]):
        pass
    assert (tmp_path / "mine.txt").read_text() == "keep"


@pytest.mark.timeout(30)
def test_bounded_reads_refuse_what_is_not_a_small_regular_file(tmp_path):
    small = tmp_path / "small"
    small.write_bytes(b"12345")
    assert read_regular_file(small, 5) == b"12345"
    with pytest.raises(ValueError, match="more than"):
        read_regular_file(small, 4)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    for path in (tmp_path, fifo, "/dev/zero"):
        with pytest.raises(ValueError, match="not a regular file"):
            read_regular_file(path, 100)
    loop = tmp_path / "loop"
    loop.symlink_to(loop)
    with pytest.raises(OSError):
        read_regular_file(loop, 100)


def test_a_staged_folder_named_by_dot_dot_gets_its_real_name(tmp_path, monkeypatch):
    (tmp_path / "out" / "sub").mkdir(parents=True)
    monkeypatch.chdir(tmp_path / "out" / "sub")
    with pytest.raises(ValueError, match="sub"), staged_folder("..", ["a.txt"]):
        pass
    with pytest.raises(ValueError, match="root"), staged_folder("/", ["a.txt"]):
        pass
    (tmp_path / "out" / "sub").rmdir()
    monkeypatch.chdir(tmp_path)
    with staged_folder("out/.", ["a.txt"]) as folder:
        (folder / "a.txt").write_text("new")
    assert (tmp_path / "out" / "a.txt").read_text() == "new" and [p.name for p in tmp_path.iterdir()] == ["out"]
