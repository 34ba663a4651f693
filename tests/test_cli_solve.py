"""`solve --problem ...`: any problem of the catalogue from the command line, with the report of `ct`; `ct` is
`solve --problem ct`; a parameter the problem does not take, or out of range, is a one-line error."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch

from explorer import cli, ct

N = 16
QUICK = ["--n", "16", "--n-iter", "3", "--threads", "1", "--prior", "gaussian", "--init", "zeros", "reference"]


def _run(argv, capsys) -> tuple[int, str, list[str]]:
    """Exit status, stdout and the lines of stderr of the command."""
    try:
        code = cli.main(argv)
    except SystemExit as exc:  # argparse refuses before main's own handler
        code = exc.code
    captured = capsys.readouterr()
    return code, captured.out, captured.err.strip().splitlines()


def test_solve_deblur_writes_the_report_with_the_problem_and_its_reference(tmp_path, capsys):
    out = tmp_path / "run"
    code, printed, err = _run(["solve", "--problem", "deblur", "--sigma", "2", *QUICK, "--out", str(out)], capsys)
    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["problem"] == "deblur" and report["operator_params"] == {"sigma": 2.0}
    assert report["reference_name"] == "Wiener filter" and "fbp_psnr" not in report
    assert report["settings"]["problem"]["sigma"] == 2.0 and report["settings"]["problem"]["n_angles"] is None
    model = ct.forward_model(ct.ProblemSettings(problem="deblur", sigma=2.0, n=N))
    np.testing.assert_array_equal(np.load(out / "reference.npy"), model.reference[0, 0].numpy())
    assert report["reference_psnr"] == pytest.approx(model.reference_psnr)
    assert report["status"] == "finished" and len(report["psnr"]) == 2
    assert sorted(p.name for p in out.iterdir()) == sorted(set(cli.SOLVE_OUTPUTS) - {"fbp.npy"})
    assert f"Wiener filter: PSNR {report['reference_psnr']:.2f} dB" in printed


def test_ct_is_solve_with_problem_ct_and_keeps_the_fbp_keys(tmp_path, capsys):
    parser = cli.build_parser()
    flags = ["--n", "16", "--n-angles", "12", "--n-iter", "3", "--prior", "gaussian", "--out", "x"]
    old, new = parser.parse_args(["ct", *flags]), parser.parse_args(["solve", "--problem", "ct", *flags])
    assert old.func is new.func
    assert ct.settings_from(vars(old)) == ct.settings_from(vars(new))
    out = tmp_path / "run"
    code, _, err = _run(["ct", "--n-angles", "12", *QUICK, "--out", str(out)], capsys)
    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["problem"] == "ct" and report["operator_params"] == {"n_angles": 12}
    assert report["reference_name"] == "FBP"
    assert (report["fbp_psnr"], report["fbp_ssim"]) == (report["reference_psnr"], report["reference_ssim"])
    np.testing.assert_array_equal(np.load(out / "fbp.npy"), np.load(out / "reference.npy"))


def test_solve_defaults_to_ct_with_its_catalogue_angles():
    args = cli.build_parser().parse_args(["solve", "--prior", "gaussian", "--out", "x"])
    settings = ct.settings_from(vars(args))
    assert settings.problem.problem == "ct" and settings.problem.operator_params() == {"n_angles": 30}


@pytest.mark.parametrize("flags, message", [
    (["--problem", "ct", "--sigma", "2"], "problem 'ct' takes no parameter sigma"),
    (["--problem", "denoise", "--n-angles", "10"], "problem 'denoise' takes no parameter n_angles"),
    (["--problem", "deblur", "--sigma", "20"], "sigma must lie in"),
    (["--problem", "deblur", "--sigma", "-1"], "--sigma must be > 0"),
    (["--problem", "superres", "--factor", "3"], "factor must be one of 2, 4"),
    (["--problem", "inpaint", "--keep", "1.5"], "--keep must be <= 1"),
    (["--problem", "inpaint", "--mask", "stripes"], "invalid choice"),
    (["--problem", "limited-angle", "--angle-range", "200"], "--angle-range must be <= 180"),
    (["--problem", "mri"], "invalid choice"),
])
def test_bad_problem_flags_are_one_line_and_exit_2(flags, message, tmp_path, capsys, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the problem was built from bad flags")

    monkeypatch.setattr(ct, "make_problem", refuse)
    out = tmp_path / "run"
    code, _, err = _run(["solve", *flags, *QUICK, "--out", str(out)], capsys)
    assert code == 2 and len(err) == 1 and err[0].startswith("error:") and message in err[0], err
    assert not out.exists()


def test_the_reference_start_of_the_cli_is_the_reference_image(tmp_path, capsys):
    out = tmp_path / "run"
    code, _, err = _run(["solve", "--problem", "inpaint", "--keep", "0.5", "--mask", "box", "--n", "16",
                      "--n-iter", "1", "--threads", "1", "--prior", "gaussian", "--init", "reference",
                      "--out", str(out)], capsys)
    assert code == 0, err
    report = json.loads((out / "report.json").read_text())
    assert report["operator_params"] == {"keep": 0.5, "mask": "box", "mask_seed": 0}
    reference = torch.from_numpy(np.load(out / "reference.npy"))
    start_psnr = ct.quality(reference, torch.from_numpy(np.load(out / "truth.npy")))[0][0]
    assert report["start_psnr"][0] == pytest.approx(start_psnr)
