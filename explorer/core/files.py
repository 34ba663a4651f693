"""Files that are complete or absent: atomic writes, a folder swapped in whole, and bounded reads.

A crash (or Ctrl-C, or a full disk) part-way through a write leaves the previous version of a file,
never a mix of old and new bytes; a reader of a path it did not create reads only a regular file,
and no more bytes than it can use.
"""

from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

FILE_MODE = 0o644  # temporary files are created private; finished ones are readable like any other


def _fsync_folder(folder: Path) -> None:
    # The rename itself lives in the folder's entry table; syncing it makes the new name survive a power cut.
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


@contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """A temporary path beside `path` to write to; on a clean exit it is synced and renamed onto `path`.

    On an exception the temporary file is removed and `path` keeps its previous content. The temporary file
    is in the same folder, so the final `os.replace` is a rename within one file system.

    Yields
    ------
    Path
        Where to write (the file exists, empty).
    """
    path = Path(path)
    fd, name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    tmp = Path(name)
    try:
        yield tmp
        with open(tmp, "rb+") as handle:
            os.fsync(handle.fileno())
        os.chmod(tmp, FILE_MODE)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    _fsync_folder(path.parent)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    """Write `data` to `path` atomically: temporary file in the same folder, flush, fsync, os.replace."""
    with atomic_path(path) as tmp, open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()


def atomic_write_json(path: str | os.PathLike, data: object) -> None:
    """Write `data` as indented JSON to `path` atomically (see `atomic_write_bytes`)."""
    atomic_write_bytes(path, (json.dumps(data, indent=2) + "\n").encode())


@contextmanager
def staged_folder(target: str | os.PathLike, owned: Iterable[str]) -> Iterator[Path]:
    """A temporary sibling folder to fill; on a clean exit it replaces `target` by renames.

    The old `target` is renamed aside, the new folder renamed onto its name, and only then the old one
    deleted, so a failure at any point leaves either the old set of files or the new one under `target`.
    The parent folder is created and the sibling made on entry: a folder that cannot be written fails here,
    before any work.

    Parameters
    ----------
    target : path
        The output folder; it must be missing or a folder holding only names in `owned`.
    owned : iterable of str
        File names a run writes: an existing `target` holding anything else is refused rather than
        replaced, so a mistyped --out never deletes unrelated files.

    Raises
    ------
    ValueError
        `target` is a file, or a folder holding other files.
    OSError
        The parent folder cannot be created or written.
    """
    # Absolute and normalised (not resolved, so a symlink is still seen): "." or "out/.." gets its real name.
    target = Path(os.path.abspath(target))
    if target == target.parent:
        raise ValueError(f"{target} is a file system's root; name a folder inside it")
    owned = set(owned)
    if target.exists() or target.is_symlink():
        if target.is_symlink():
            raise ValueError(f"{target} is a symbolic link; name the folder it points to")
        if not target.is_dir():
            raise ValueError(f"{target} exists and is not a folder")
        others = sorted(p.name for p in target.iterdir() if p.name not in owned)
        if others:
            raise ValueError(f"{target} holds files this command did not write ({', '.join(others[:3])}); "
                             "choose a new or empty folder")
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".new"))
    try:
        yield staging
        _swap_in(staging, target)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise


def _swap_in(staging: Path, target: Path) -> None:
    os.chmod(staging, 0o755)  # mkdtemp's folder is private; an output folder is not
    if not target.exists():
        os.replace(staging, target)
        _fsync_folder(target.parent)
        return
    old = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}.", suffix=".old"))
    os.replace(target, old)  # an empty folder is replaced by a rename
    try:
        os.replace(staging, target)
    except BaseException:
        os.replace(old, target)
        raise
    _fsync_folder(target.parent)
    shutil.rmtree(old, ignore_errors=True)


def read_regular_file(path: str | os.PathLike, limit: int) -> bytes:
    """The bytes of a regular file of at most `limit` bytes.

    The file is opened non-blocking and checked with fstat before any read, so a FIFO, a device such as
    /dev/zero, a folder or a symlink loop fails at once instead of blocking or filling memory.

    Raises
    ------
    OSError
        The path cannot be opened (missing, unreadable, a symlink loop).
    ValueError
        It is not a regular file, or it is larger than `limit`.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            raise ValueError(f"{path} is not a regular file")
        if info.st_size > limit:
            raise ValueError(f"{path} is {info.st_size} bytes, more than the {limit} allowed")
        chunks, total = [], 0
        while True:
            chunk = os.read(fd, min(1 << 20, limit + 1 - total))
            if not chunk:
                break
            chunks.append(chunk)
            total += len(chunk)
            if total > limit:  # the file grew after fstat
                raise ValueError(f"{path} is more than the {limit} bytes allowed")
        return b"".join(chunks)
    finally:
        os.close(fd)


def one_line(exc: BaseException, limit: int = 160) -> str:
    """An exception's text on one short line, for messages about files (parsers quote inputs, span lines)."""
    text = " ".join(str(exc).split()) or type(exc).__name__
    return text if len(text) <= limit else text[:limit - 3] + "..."
