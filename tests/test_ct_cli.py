"""`python -m explorer ct` writes every promised file with the right shapes and keys; bad input is one line, exit 2."""

from __future__ import annotations

import csv
import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from explorer import cli
from explorer.ct.export import HISTORY_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
N, ITERS = 32, 10
INITS = ["zeros", "fbp", "noise", "constant"]


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("ct")
    res = subprocess.run(
        [sys.executable, "-m", "explorer", "ct", "--n", str(N), "--n-angles", "20", "--n-iter", str(ITERS),
         "--prior", "gaussian", "--init", *INITS, "--record-every", "5", "--threads", "1", "--out", str(out)],
        cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr
    return out


def test_writes_the_report_with_every_key(run_dir):
    report = json.loads((run_dir / "report.json").read_text())
    for key in ("psnr", "ssim", "start_psnr", "start_ssim"):
        assert len(report[key]) == len(INITS), key
    for key in ("fbp_psnr", "fbp_ssim", "tv_psnr", "tv_ssim", "seconds"):
        assert isinstance(report[key], float), key
    assert report["inits"] == INITS and report["status"] == "finished"
    assert report["tv_psnr"] > report["fbp_psnr"]
    problem, solver = report["settings"]["problem"], report["settings"]["solver"]
    assert (problem["n"], problem["n_angles"], solver["n_iter"], problem["prior"]) == (N, 20, ITERS, "gaussian")
    assert problem["alpha_used"] > 0 and solver["step_rule"] == "bb-plain"
    assert report["tv"]["n_iter"] >= 1


def test_writes_images_of_the_right_shapes(run_dir):
    assert np.load(run_dir / "truth.npy").shape == (N, N)
    assert np.load(run_dir / "recon.npy").shape == (len(INITS), N, N)
    assert np.load(run_dir / "fbp.npy").shape == (N, N)
    recon = np.load(run_dir / "recon.npy")
    assert recon.dtype == np.float32 and recon.min() >= 0 and recon.max() <= 1


def test_writes_the_history(run_dir):
    lines = (run_dir / "history.csv").read_text().splitlines()
    assert lines[0].startswith("#") and "every 5 iterations" in lines[0]
    rows = list(csv.DictReader(lines[1:]))
    assert tuple(rows[0]) == HISTORY_COLUMNS  # the page's CSV export has the same columns
    assert len(rows) == len(INITS) * (ITERS + 1)
    by_start = {name: [r for r in rows if r["start"] == name] for name in INITS}
    for name, rs in by_start.items():
        assert [int(r["iteration"]) for r in rs] == list(range(ITERS + 1))
        scored = [int(r["iteration"]) for r in rs if r["psnr"]]
        assert scored == [0, 5, 10]
        assert float(rs[0]["t"]) == 1.0 and all(r["f"] for r in rs[:-1] if int(r["iteration"]) % 5 == 0)
    report = json.loads((run_dir / "report.json").read_text())
    assert float(by_start["fbp"][-1]["psnr"]) == pytest.approx(report["psnr"][1])


def test_a_diverging_run_keeps_its_files_and_exits_1(tmp_path, capsys):
    code = cli.main(["ct", "--n", "16", "--n-angles", "8", "--n-iter", "30", "--prior", "gaussian", "--step-rule",
                     "fixed", "--step-size", "1e6", "--no-clip", "--threads", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 1 and len(err) == 1 and "NaN or Inf detected" in err[0]
    report = json.loads((tmp_path / "report.json").read_text())
    assert report["status"] == "diverged"
    assert np.isfinite(np.load(tmp_path / "recon.npy")).all()


@pytest.mark.parametrize("args", [
    ("--n", "4"),
    ("--size", "big"),
    ("--n-angles", "0"),
    ("--angles", "0"),
    ("--noise-level", "nan"),
    ("--noise", "-0.1"),
    ("--init", "lena"),
    ("--init", "zeros", "zeros"),
    ("--method", "newton"),
    ("--step-size", "0"),
    ("--alpha", "-1"),
    ("--t-max", "0.0001"),
    ("--prior", "network", "--weights", "/no/such/weights.safetensors"),
    ("--clip", "False"),
    ("--size", "100000"),
    ("--n-iter", "0"),
    ("--iters", "0"),
    ("--step-rule", "wolfe"),
    ("--seed", "-1"),
    ("--t-min", "0.5", "--t-max", "0.1"),
    ("--threads", "inf"),
])
def test_bad_input_is_one_line_and_exit_2(args, tmp_path, capsys):
    argv = ["ct", "--n", "16", "--n-angles", "8", "--n-iter", "2", "--threads", "1", "--prior", "gaussian",
            "--out", str(tmp_path), *args]
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refuses before main's own handler
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:"), err


def test_missing_out_is_refused(capsys):
    with pytest.raises(SystemExit) as exc:
        cli.main(["ct"])
    assert exc.value.code == 2
    assert len(capsys.readouterr().err.strip().splitlines()) == 1


def test_default_prior_is_the_network_when_shipped_else_gaussian_with_a_notice(tmp_path, capsys):
    from explorer import ct

    code = cli.main(["ct", "--n", "16", "--n-angles", "8", "--n-iter", "2", "--threads", "1", "--out", str(tmp_path)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 0
    expected = ct.default_prior_name()
    assert json.loads((tmp_path / "report.json").read_text())["settings"]["problem"]["prior"] == expected
    if expected == "gaussian":
        assert len(err) == 1 and err[0].startswith("note:") and "Gaussian" in err[0]
    else:
        assert err == []


@pytest.mark.parametrize("damage", ["junk", "wrong hash"])
def test_a_broken_weights_file_is_one_line_and_exit_2(damage, tmp_path, capsys):
    import torch

    from explorer.priors.unet import EnergyUNet
    from explorer.priors.weights import model_config, save_weights, sidecar_path

    weights = tmp_path / "w.safetensors"
    torch.manual_seed(0)  # parameter init only
    model = EnergyUNet((4, 8))
    save_weights(model.state_dict(), weights, model_config(model, 16, 0))
    if damage == "junk":
        weights.write_bytes(b"not a weights file")
    else:
        side = sidecar_path(weights)
        side.write_text(json.dumps(json.loads(side.read_text()) | {"sha256": "f" * 64}))
    code = cli.main(["ct", "--n", "16", "--n-angles", "8", "--n-iter", "2", "--threads", "1", "--prior", "network",
                     "--weights", str(weights), "--out", str(tmp_path / "run")])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert len(err) == 1 and err[0].startswith("error:") and "corrupt" in err[0] and "explorer train" in err[0]


def test_out_that_is_a_file_is_refused(tmp_path, capsys):
    target = tmp_path / "taken"
    target.write_text("a file, not a folder")
    code = cli.main(["ct", "--n", "16", "--n-angles", "8", "--n-iter", "2", "--threads", "1", "--prior", "gaussian",
                     "--out", str(target)])
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:")
    assert target.read_text() == "a file, not a folder"


def test_old_flags_still_work_and_mean_the_new_ones():
    """Flags of the old vocabulary (--size, --angles, --noise, --iters, --step) set the same settings."""
    from explorer import ct

    parser = cli.build_parser()
    old = parser.parse_args(["ct", "--size", "32", "--angles", "12", "--noise", "0.02", "--iters", "7",
                             "--step", "armijo", "--seed", "5", "--init", "zeros", "fbp", "--prior", "gaussian",
                             "--out", "x"])
    new = parser.parse_args(["ct", "--n", "32", "--n-angles", "12", "--noise-level", "0.02", "--n-iter", "7",
                             "--step-rule", "armijo", "--seed", "5", "--init", "zeros", "fbp", "--prior", "gaussian",
                             "--out", "x"])
    assert vars(old) == vars(new)
    settings = ct.settings_from(vars(new))
    assert settings.problem == ct.ProblemSettings(n=32, n_angles=12, noise_level=0.02, phantom_seed=5,
                                                   prior="gaussian")
    assert settings.solver == ct.SolverSettings(n_iter=7, step_rule="armijo", inits=("zeros", "fbp"))


# --out: checked before any solve; the files are replaced as a set, so a failure leaves the previous run's.

QUICK = ["ct", "--n", "16", "--n-angles", "8", "--n-iter", "2", "--threads", "1", "--prior", "gaussian"]


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.fixture
def no_solve(monkeypatch):
    """Fail the test if a reconstruction starts."""
    from explorer import ct

    def refuse(*args, **kwargs):
        raise AssertionError("the solve ran before --out was checked")

    monkeypatch.setattr(ct, "reconstruct", refuse)
    monkeypatch.setattr(ct, "make_problem", refuse)


def _bad_out(argv, capsys) -> list[str]:
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refuses before main's own handler
        code = exc.code
    err = capsys.readouterr().err.strip().splitlines()
    assert code == 2 and len(err) == 1 and err[0].startswith("error:"), err
    return err


@pytest.mark.parametrize("out", ["", "   "])
def test_an_empty_out_is_refused(out, no_solve, capsys):
    _bad_out([*QUICK, "--out", out], capsys)


def test_out_that_is_a_file_is_refused_before_the_solve(tmp_path, no_solve, capsys):
    target = tmp_path / "taken"
    target.write_text("a file")
    _bad_out([*QUICK, "--out", str(target)], capsys)
    assert _files(tmp_path) == {"taken": b"a file"}


def test_out_that_cannot_be_created_is_refused_before_the_solve(tmp_path, no_solve, capsys):
    (tmp_path / "file").write_text("a file")
    _bad_out([*QUICK, "--out", str(tmp_path / "file" / "run")], capsys)


def test_out_holding_other_files_is_refused_before_the_solve(tmp_path, no_solve, capsys):
    (tmp_path / "notes.txt").write_text("mine")
    err = _bad_out([*QUICK, "--out", str(tmp_path)], capsys)
    assert "notes.txt" in err[0]
    assert _files(tmp_path) == {"notes.txt": b"mine"}


def test_a_failed_run_leaves_the_previous_files_and_a_good_one_replaces_them(tmp_path, capsys, monkeypatch):
    out = tmp_path / "run"
    assert cli.main([*QUICK, "--out", str(out)]) == 0
    before = _files(out)
    assert set(before) == set(cli.CT_OUTPUTS)
    real_save = np.save

    def fail_on_recon(path, array):
        if Path(path).name == "recon.npy":
            raise OSError("disk full")
        real_save(path, array)

    monkeypatch.setattr(np, "save", fail_on_recon)
    capsys.readouterr()
    _bad_out([*QUICK, "--seed", "7", "--out", str(out)], capsys)
    assert _files(out) == before
    assert [p.name for p in tmp_path.iterdir()] == ["run"]  # no half-written folder left beside it
    monkeypatch.setattr(np, "save", real_save)
    assert cli.main([*QUICK, "--seed", "7", "--out", str(out)]) == 0
    after = _files(out)
    assert set(after) == set(before) and after["truth.npy"] != before["truth.npy"]
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_device_cpu_is_the_default_and_cuda_without_a_gpu_is_one_line(tmp_path, capsys):
    import torch

    common = ["--n", "16", "--n-angles", "8", "--n-iter", "4", "--prior", "gaussian", "--init", "zeros", "noise"]
    assert cli.main(["ct", *common, "--device", "cpu", "--out", str(tmp_path / "cpu")]) == 0
    report = json.loads((tmp_path / "cpu" / "report.json").read_text())
    assert report["device"] == "cpu" and report["iterations_run"] == 4
    if torch.cuda.is_available():  # on a GPU machine the same command runs there and lands on the same numbers
        assert cli.main(["ct", *common, "--device", "cuda", "--out", str(tmp_path / "gpu")]) == 0
        other = json.loads((tmp_path / "gpu" / "report.json").read_text())
        np.testing.assert_allclose(other["psnr"], report["psnr"], atol=1e-2)
    else:
        capsys.readouterr()
        assert cli.main(["ct", *common, "--device", "cuda", "--out", str(tmp_path / "gpu")]) == 2
        err = capsys.readouterr().err.strip()
        assert err.startswith("error:") and "no CUDA device" in err and "\n" not in err
        assert not (tmp_path / "gpu" / "report.json").exists()
