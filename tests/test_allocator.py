"""The solver keeps freed memory for reuse: glibc's malloc thresholds are set by the CLI and the app."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
from pathlib import Path

import pytest

from explorer.core import allocator

ROOT = Path(__file__).resolve().parents[1]
GLIBC = platform.system() == "Linux" and platform.libc_ver()[0] == "glibc"

# Touch 8 MB from malloc, free it, and print how much resident memory the free gave back (kB). Under glibc's
# defaults an 8 MB block is mapped on its own and unmapped by free(); with the explorer's thresholds it comes
# from the heap and stays there for the next iteration.
PROBE = """
import ctypes
from explorer.core.allocator import keep_freed_memory
def rss():
    return int(next(l for l in open('/proc/self/status') if l.startswith('VmRSS:')).split()[1])
print(keep_freed_memory())
libc = ctypes.CDLL(None)
libc.malloc.restype, libc.malloc.argtypes = ctypes.c_void_p, [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]
size = 8 << 20
p = libc.malloc(size)
ctypes.memset(p, 1, size)
before = rss()
libc.free(p)
print(before - rss())
"""


def probe(**env: str) -> tuple[str, int]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("MALLOC_") and k != allocator.SWITCH}
    out = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, env={**environ, **env}, capture_output=True,
                         text=True, check=True).stdout.split()
    return out[0], int(out[1])


@pytest.mark.skipif(not GLIBC, reason="the thresholds exist only under glibc")
def test_freed_buffers_stay_in_the_process_with_the_thresholds_and_go_back_without():
    kept, returned_kb = probe()
    assert kept == "True" and returned_kb < 1024
    default, returned_kb = probe(**{allocator.SWITCH: "default"})
    assert default == "False" and returned_kb > 6 * 1024


@pytest.mark.skipif(not GLIBC, reason="the thresholds exist only under glibc")
def test_the_users_own_malloc_settings_are_left_alone():
    kept, returned_kb = probe(MALLOC_MMAP_THRESHOLD_="65536")
    assert kept == "False" and returned_kb > 6 * 1024


def test_the_command_line_sets_the_thresholds_before_it_parses(monkeypatch):
    from explorer import cli

    calls = []
    monkeypatch.setattr(cli, "keep_freed_memory", lambda: calls.append("set"))
    with pytest.raises(SystemExit):
        cli.main(["toy", "--grid", "0"])
    assert calls == ["set"]


@pytest.mark.skipif(not GLIBC, reason="the thresholds exist only under glibc")
def test_the_app_sets_the_thresholds_when_it_runs(monkeypatch):
    from streamlit.testing.v1 import AppTest

    monkeypatch.setattr(allocator, "_done", None)
    monkeypatch.delenv(allocator.SWITCH, raising=False)
    for name in [k for k in os.environ if k.startswith("MALLOC_")]:
        monkeypatch.delenv(name)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception
    assert allocator._done is True
