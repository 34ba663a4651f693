"""The command line writes what it promises and turns bad input into one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=300):
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def test_toy_writes_the_report(tmp_path):
    out = tmp_path / "toy.json"
    res = run_cli("toy", "--method", "gnc", "--t-max", "1", "--iters", "1300", "--grid", "40", "--json", str(out))
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    assert 0.75 <= report["frac_global"] <= 0.97
    assert report["frac_stationary"] >= report["frac_global"]
    assert report["seconds"] > 0
    assert report["config"]["step_rule"] == "fixed" and report["config"]["schedule"] == "linear"


def test_toy_gradient_like_defaults_to_the_authors_armijo(tmp_path):
    out = tmp_path / "gl.json"
    res = run_cli("toy", "--method", "gradient-like", "--grid", "10", "--iters", "200", "--json", str(out))
    assert res.returncode == 0, res.stderr
    params = json.loads(out.read_text())["config"]["step_rule_params"]
    assert params == {"b0": 1.0, "r": 0.9, "c": 1e-3, "max_tries": 10}


def test_maps_write_png_and_html(tmp_path):
    res = run_cli("maps", "--grid", "12", "--iters", "200", "--t-max-count", "4", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    for name in ("basin_map", "reach_map", "rate_map"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "plotly" in (tmp_path / f"{name}.html").read_text()[:200000].lower()
    assert len(json.loads((tmp_path / "maps.json").read_text())["frac_global_by_t_max"]) == 4


@pytest.mark.parametrize("args", [
    ("toy", "--t-max", "nan"),
    ("toy", "--t-max", "inf"),
    ("toy", "--t-max", "-1"),
    ("toy", "--t-max", "1e9"),
    ("toy", "--iters", "0"),
    ("toy", "--iters", "ten"),
    ("toy", "--grid", "100000"),
    ("toy", "--method", "newton"),
    ("toy", "--t-max", "0.0001"),
    ("toy", "--step-size", "0"),
    ("toy", "--grid", "4", "--json", "/no/such/folder/out.json"),
    ("toy", "--unknown-flag", "3"),
    ("maps", "--grid", "4"),
    ("bench", "nothing"),
    (),
])
def test_bad_input_gives_one_line_and_status_2(args):
    res = run_cli(*args)
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:")
