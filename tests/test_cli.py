"""The command line writes what it promises and turns bad input into one-line errors."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from explorer import cli

ROOT = Path(__file__).resolve().parents[1]


def run_cli(*args, timeout=300):
    """`python -m explorer ARGS` in a fresh interpreter: the module entry and its exit status, end to end."""
    return subprocess.run([sys.executable, "-m", "explorer", *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=timeout)


def run_main(args, capsys, **kwargs):
    """`cli.main(args)` in this process: (exit status, stderr lines that are not blank)."""
    try:
        status = cli.main(list(args), **kwargs)
    except SystemExit as stop:  # argparse refuses bad flags by exiting
        status = stop.code
    return status, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def test_toy_writes_the_report(tmp_path):
    out = tmp_path / "toy.json"
    res = run_cli("toy", "--method", "gnc", "--t-max", "1", "--iters", "1300", "--grid", "40", "--json", str(out))
    assert res.returncode == 0, res.stderr
    report = json.loads(out.read_text())
    assert 0.75 <= report["frac_global"] <= 0.97
    assert report["frac_stationary"] >= report["frac_global"]
    assert report["seconds"] > 0
    assert report["config"]["step_rule"] == "fixed" and report["config"]["schedule"] == "linear"


def test_toy_gradient_like_defaults_to_the_authors_armijo(tmp_path, capsys):
    out = tmp_path / "gl.json"
    status, err = run_main(["toy", "--method", "gradient-like", "--grid", "10", "--iters", "200", "--json", str(out)],
                           capsys)
    assert status == 0, err
    params = json.loads(out.read_text())["config"]["step_rule_params"]
    assert params == {"b0": 1.0, "r": 0.9, "c": 1e-3, "max_tries": 10, "memory": 1}


def test_maps_write_png_and_html(tmp_path, capsys):
    status, err = run_main(["maps", "--grid", "12", "--iters", "200", "--t-max-count", "4", "--out", str(tmp_path)],
                           capsys)
    assert status == 0, err
    for name in ("basin_map", "reach_map", "rate_map"):
        png = tmp_path / f"{name}.png"
        assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
        assert "plotly" in (tmp_path / f"{name}.html").read_text()[:200000].lower()
    assert len(json.loads((tmp_path / "maps.json").read_text())["frac_global_by_t_max"]) == 4


def test_maps_interrupted_keep_the_previous_files(tmp_path, capsys, monkeypatch):
    """Every map file is written to a temporary name and renamed: a failure leaves the last complete file."""
    import plotly.graph_objects as go

    args = ["maps", "--grid", "8", "--n-iter", "50", "--t-max-count", "2", "--out", str(tmp_path)]
    assert run_main(args, capsys)[0] == 0
    before = (tmp_path / "basin_map.html").read_bytes()

    def broken(self, file, **kwargs):
        with open(file, "w") as handle:
            handle.write("<html>half")
        raise OSError("disk full")

    monkeypatch.setattr(go.Figure, "write_html", broken)
    status, err = run_main(args, capsys)
    assert status == 2 and "disk full" in err[0]
    assert (tmp_path / "basin_map.html").read_bytes() == before
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary file left behind


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
    ("maps", "--grid", "4", "--out", ""),
    ("maps", "--grid", "4", "--out", " "),
    ("toy", "--grid", "4", "--json", ""),
    ("bench", "toy", "--json", "  "),
    ("train", "--batch", "0"),
    ("train", "--lr", "nan"),
    ("train", "--size", "30"),
    ("train", "--channels", "-1", "8"),
    ("bench", "nothing"),
    (),
])
def test_bad_input_gives_one_line_and_status_2(args, capsys):
    status, err = run_main(args, capsys)
    assert status == 2
    assert len(err) == 1 and err[0].startswith("error:"), err


def test_python_m_explorer_refuses_bad_input_with_status_2():
    res = run_cli("toy", "--t-max", "nan")
    assert res.returncode == 2
    assert "Traceback" not in res.stderr
    lines = [line for line in res.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("error:") and "`python -m explorer toy --help`" in lines[0]


def test_errors_name_the_command_as_typed(capsys, monkeypatch):
    status, err = run_main(["toy", "--grid", "0"], capsys, prog="gnc-explorer")
    assert status == 2 and "`gnc-explorer toy --help`" in err[0]
    monkeypatch.setattr(sys, "argv", ["/somewhere/bin/gnc-explorer", "bench", "nothing"])
    with pytest.raises(SystemExit) as stop:
        cli.console()
    assert stop.value.code == 2
    assert "`gnc-explorer bench --help`" in capsys.readouterr().err


def test_app_hands_unknown_flags_to_streamlit_in_order(capsys, monkeypatch):
    from explorer.app import launch

    seen = []
    monkeypatch.setattr(launch, "run", lambda streamlit_args: seen.append(streamlit_args) or 0)
    status, err = run_main(["app", "--server.port", "8502", "--theme.base=dark"], capsys)
    assert status == 0 and err == []
    assert seen == [["--server.port", "8502", "--theme.base=dark"]]
