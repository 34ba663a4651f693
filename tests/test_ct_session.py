"""Live CT runs: stepping accumulates records, the result matches one complete run, divergence is reported,
and the exports round-trip."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace

import numpy as np
import pytest
import torch

from explorer import ct
from explorer.ct import session as ct_session
from explorer.ct.export import HISTORY_COLUMNS, RECORD_FIELDS, history_csv, trajectory_records

N = 32  # small images keep every test to a second or two


@pytest.fixture(scope="module")
def config() -> ct.SolverSettings:
    return ct.SolverSettings(n_iter=12, inits=("zeros", "noise"))


@pytest.fixture(scope="module")
def problem() -> ct.CTProblem:
    return ct.make_problem(ct.ProblemSettings(n=N, n_angles=20, prior="gaussian"), ct.load_prior("gaussian", N))


def _run(problem: ct.CTProblem, config: ct.SolverSettings, **kwargs) -> ct_session.LiveRun:
    x0 = ct.initialisations(config.inits, problem, init_seed=config.init_seed)
    return ct_session.start_run(problem, x0, config, config.inits, **kwargs)


def test_advancing_accumulates_records_and_matches_a_complete_run(problem, config) -> None:
    run = _run(problem, config, keep_every=5, ssim_every=4)
    assert run.iteration == 0 and not run.done
    assert ct_session.advance(run, 5) == 5
    assert run.iteration == 5
    assert ct_session.advance(run, 3) == 3
    assert run.iteration == 8
    for name in ct_session.RECORD_FIELDS:
        assert run.history(name).shape == (9, 2)
    # The step fields of the newest row wait for the next iteration; the iterate's own fields are there.
    assert np.isnan(run.history("t")[-1]).all() and np.isfinite(run.history("t")[:-1]).all()
    assert np.isfinite(run.history("psnr")).all() and np.isfinite(run.history("data_fit")).all()
    assert np.isfinite(run.history("ssim")[[0, 4, 8]]).all() and np.isnan(run.history("ssim")[1]).all()
    assert ct_session.advance(run, 100) == 4  # only the rest of the schedule runs
    assert run.done and run.status == "finished" and run.iteration == config.n_iter
    assert run.frame_iters == [0, 5, 10] and run.kept()[0] == [0, 5, 10, 12]
    assert np.all(run.history("psnr")[-1] > run.history("psnr")[0])
    reference = ct.reconstruct(problem, ct.initialisations(config.inits, problem, init_seed=config.init_seed), config)
    torch.testing.assert_close(run.current, reference.final, atol=1e-5, rtol=0)
    torch.testing.assert_close(ct_session.frame_at(run, 7), run.frames[1])


def test_a_diverging_step_is_reported_and_keeps_the_iterates(problem, config) -> None:
    cfg = replace(config, step_rule="fixed", step_size=1e6, clip=False, n_iter=50, inits=("zeros",))
    run = _run(problem, cfg)
    ct_session.run_to_end(run)
    assert run.status == "diverged"
    assert "NaN or Inf detected" in run.message
    assert run.iteration < cfg.n_iter
    assert torch.isfinite(run.current).all()
    assert run.kept()[0][-1] == run.iteration


def test_running_to_the_end_reports_every_chunk_and_can_be_stopped(problem, config) -> None:
    """A page stops a run nobody watches by raising from the progress callback; the run stays consistent."""
    seen: list[int] = []

    class Gone(Exception):
        pass

    def progress(run) -> None:
        seen.append(run.iteration)
        if run.iteration >= 8:
            raise Gone

    run = _run(problem, config)
    with pytest.raises(Gone):
        ct_session.run_to_end(run, chunk=3, progress=progress)
    assert seen == [3, 6, 9] and run.status == "running" and run.kept()[0][-1] == 9
    ct_session.run_to_end(run, until=11, chunk=5, progress=lambda r: seen.append(r.iteration))
    assert seen[3:] == [11] and run.iteration == 11
    ct_session.run_to_end(run)
    assert run.done and run.iteration == config.n_iter


def test_exports_round_trip(problem, config) -> None:
    run = _run(problem, config, keep_every=4)
    ct_session.advance(run, 6)
    npz = np.load(io.BytesIO(ct_session.export_npz(run, {"fbp_psnr": 28.0})))
    assert npz["iterates"].shape == (3, 2, N, N)  # x_0, x_4 and the newest, x_6
    assert npz["iters"].tolist() == [0, 4, 6]
    assert npz["truth"].shape == (N, N) and npz["fbp"].shape == (N, N)
    assert npz["starts"].tolist() == ["zeros", "noise"]
    assert npz["psnr"].shape == (7, 2)
    settings = json.loads(str(npz["settings"]))
    assert settings["settings"]["problem"]["n"] == N and settings["fbp_psnr"] == 28.0
    assert settings["settings"]["solver"]["n_iter"] == config.n_iter
    np.testing.assert_allclose(npz["iterates"][-1], run.current[:, 0].numpy())

    rows = list(csv.DictReader(io.StringIO(ct_session.metrics_csv(run).decode())))
    assert tuple(rows[0]) == HISTORY_COLUMNS
    assert len(rows) == 7 * 2
    assert float(rows[-1]["psnr"]) == pytest.approx(run.history("psnr")[-1, 1])
    assert rows[-1]["t"] == "" and rows[-1]["seconds"] == ""  # not yet run from the newest iterate
    assert float(rows[-3]["seconds"]) == pytest.approx(run.seconds)

    assert json.loads(ct_session.config_json(run))["iterations_run"] == 6


def test_the_cli_and_the_page_write_one_history_format(problem, config) -> None:
    """A finished trajectory and a live run of the same settings give CSVs with the same columns and values."""
    run = _run(problem, config)
    ct_session.run_to_end(run)
    live = list(csv.DictReader(io.StringIO(ct_session.metrics_csv(run).decode())))
    trajectory = ct.reconstruct(problem, ct.initialisations(config.inits, problem, init_seed=config.init_seed),
                                replace(config, record_every=4), diagnostics_every=run.ssim_every)
    records = trajectory_records(problem, trajectory)
    assert set(records) == set(RECORD_FIELDS) and all(v.shape == (13, 2) for v in records.values())
    text = history_csv(config.inits, records, note="from a finished run").decode()
    assert text.startswith("# from a finished run\n")
    batch = list(csv.DictReader(io.StringIO(text.split("\n", 1)[1])))
    assert tuple(batch[0]) == tuple(live[0]) == HISTORY_COLUMNS
    assert [(r["iteration"], r["start"]) for r in batch] == [(r["iteration"], r["start"]) for r in live]
    for a, b in zip(batch, live):
        for name in ("t", "step", "f", "cos"):
            assert (a[name] == "") == (b[name] == "")
            if a[name]:
                assert float(a[name]) == pytest.approx(float(b[name]), rel=1e-4, abs=1e-6)
    # PSNR, SSIM and the data fit only on the recorded iterates 0, 4, 8, 12.
    scored = sorted({int(r["iteration"]) for r in batch if r["psnr"]})
    assert scored == [0, 4, 8, 12] and all(r["data_fit"] and r["ssim"] for r in batch if r["psnr"])
    last = [r for r in batch if r["iteration"] == "12"]
    np.testing.assert_allclose([float(r["psnr"]) for r in last], run.history("psnr")[-1], atol=1e-3)


def test_the_solver_can_run_on_another_copy_of_the_problem(problem, config) -> None:
    """start_run(..., solve_on=) solves on that problem (the page's GPU copy) and scores on `problem`."""
    device = "cuda" if torch.cuda.is_available() else "cpu"
    other = ct.make_problem(problem.settings, ct.load_prior("gaussian", N, device=device), device=device)
    assert other.objective is not problem.objective
    plain = ct_session.run_to_end(_run(problem, config))
    moved = ct_session.run_to_end(_run(problem, config, solve_on=other))
    assert moved.current.device == problem.truth.device and all(f.device == problem.truth.device
                                                                for f in moved.frames)
    torch.testing.assert_close(moved.current, plain.current, atol=1e-4, rtol=0)
    np.testing.assert_allclose(moved.history("psnr"), plain.history("psnr"), atol=1e-3)
    elsewhere = ct.make_problem(replace(problem.settings, noise_level=0.01), ct.load_prior("gaussian", N))
    with pytest.raises(ValueError, match="same problem"):
        _run(problem, config, solve_on=elsewhere)


def test_the_page_solves_on_the_gpu_when_there_is_one(monkeypatch) -> None:
    from explorer.app.ct_widgets import DEVICE_VARIABLE, page_device

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert page_device({}) == "cuda" and page_device({DEVICE_VARIABLE: "cuda"}) == "cuda"
    assert page_device({DEVICE_VARIABLE: "CPU "}) == "cpu"  # a user may keep the page on the CPU
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert page_device({}) == "cpu" and page_device({DEVICE_VARIABLE: "cuda"}) == "cpu"
    assert page_device({DEVICE_VARIABLE: "<b>tpu</b>"}) == "cpu"
