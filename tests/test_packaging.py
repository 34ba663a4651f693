"""The package installs as a wheel with everything it needs: subpackages, shipped weights, the app, the command."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from explorer.app import launch
from explorer.bench.browser import free_port, wait_healthy
from explorer.priors import preview, weights

ROOT = Path(__file__).resolve().parents[1]
# Top-level folders a wheel build does not read (tests, checkpoints, git, earlier builds), left out of its copy.
NOT_BUILT = {".git", ".venv", "tests", "assets", "bench", "docs", "runs", "artifacts", "build", "dist",
             "gnc_explorer.egg-info", ".pytest_cache"}


def _not_built(folder: str, names: list[str]) -> set[str]:
    skip = {name for name in names if name == "__pycache__"}
    return skip | (NOT_BUILT & set(names) if Path(folder) == ROOT else set())


def test_shipped_weights_are_package_data():
    assert weights.SHIPPED_WEIGHTS == ROOT / "explorer" / "priors" / "assets" / "prior64.safetensors"
    assert weights.SHIPPED_WEIGHTS.is_file() and weights.sidecar_path(weights.SHIPPED_WEIGHTS).is_file()
    assert not (ROOT / "assets" / "prior64.safetensors").exists()  # one copy only
    assert weights.SHIPPED_SMALL_WEIGHTS == weights.SHIPPED_WEIGHTS.with_name("prior64_small.safetensors")
    assert weights.SHIPPED_SMALL_WEIGHTS.is_file() and weights.sidecar_path(weights.SHIPPED_SMALL_WEIGHTS).is_file()


def test_the_prior_pages_pictures_are_package_data():
    assert preview.PREVIEW_FILE == ROOT / "explorer" / "priors" / "assets" / "prior64_preview.npz"
    assert preview.PREVIEW_FILE.is_file()


def test_the_app_command_runs_the_checkouts_app_with_its_config():
    cmd = launch.command(["--server.port=8502"])
    assert cmd[1:5] == ["-m", "streamlit", "run", str(ROOT / "app.py")]
    assert "--server.fileWatcherType=none" in cmd and "--browser.gatherUsageStats=false" in cmd
    assert cmd[-1] == "--server.port=8502"  # the user's flags come last, so they win


@pytest.mark.slow
def test_the_wheel_holds_every_subpackage_the_weights_the_app_and_the_command(tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ROOT, source, ignore=_not_built)
    out = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "--no-build-isolation",
                          "--no-index", "-q", "-w", str(tmp_path / "dist")],
                         cwd=source, capture_output=True, text=True, timeout=300)
    assert out.returncode == 0, out.stderr
    (wheel,) = (tmp_path / "dist").glob("gnc_explorer-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
        info = next(n for n in names if n.endswith(".dist-info/entry_points.txt"))
        entry_points = archive.read(info).decode()
        metadata = archive.read(info.replace("entry_points.txt", "METADATA")).decode()
    packages = {str(p.parent.relative_to(ROOT)) for p in (ROOT / "explorer").rglob("__init__.py")}
    assert {f"{p}/__init__.py" for p in packages} <= names
    modules = {str(p.relative_to(ROOT)) for p in (ROOT / "explorer").rglob("*.py")}
    assert modules <= names
    assert {"explorer/priors/assets/prior64.safetensors", "explorer/priors/assets/prior64.json",
            "explorer/priors/assets/prior64_small.safetensors", "explorer/priors/assets/prior64_small.json",
            "explorer/priors/assets/prior64_preview.npz"} <= names
    app = {"app.py", ".streamlit/config.toml", *(f"views/{p.name}" for p in (ROOT / "views").glob("*.py"))}
    assert {f"explorer/app/bundle/{name}" for name in app} <= names
    assert "gnc-explorer = explorer.cli:console" in entry_points
    pins = [line.split("#")[0].strip() for line in (ROOT / "requirements.txt").read_text().splitlines()]
    assert {f"Requires-Dist: {pin}" for pin in pins if pin} <= set(metadata.splitlines())


@pytest.mark.slow
def test_python_m_explorer_app_serves_the_app(tmp_path):
    port = free_port()
    log = open(tmp_path / "app.log", "w")
    # Started from another folder: the app's config must not depend on the working directory.
    proc = subprocess.Popen([sys.executable, "-m", "explorer", "app", f"--server.port={port}",
                             "--server.address=127.0.0.1"], cwd=tmp_path, stdout=log, stderr=subprocess.STDOUT,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        assert wait_healthy(f"http://127.0.0.1:{port}", proc, 120), (tmp_path / "app.log").read_text()
    finally:
        proc.terminate()  # the launcher passes SIGTERM on to its Streamlit server
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
