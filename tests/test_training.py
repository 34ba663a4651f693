"""Training: a few steps lower the loss of a tiny net; a checkpoint resumes where it stopped."""

import csv
from dataclasses import replace

import torch

from explorer.priors.training import (TrainConfig, dsm_loss, init_state, load_checkpoint, main, sample_t, train,
                                      train_step)


def tiny(tmp_path, **changes) -> TrainConfig:
    base = TrainConfig(size=16, steps=6, batch=8, lr=3e-3, warmup=1, channels=(4, 8), seed=0,
                       ckpt_dir=str(tmp_path / "ckpt"), ckpt_every=1e9, log_every=2)
    return replace(base, **changes)


def test_sample_t_range_and_small_share():
    t = sample_t(20000, torch.Generator().manual_seed(0), small_t_share=0.5)
    assert t.min() >= 1e-5 and t.max() <= 1
    # Half uniform, half log-uniform on [1e-3, 1]: P(t < 0.01) = 0.5 * 0.01 + 0.5 * 1/3.
    assert abs(float((t < 0.01).double().mean()) - (0.005 + 0.5 / 3)) < 0.02


def test_a_few_steps_lower_the_loss(tmp_path):
    config = tiny(tmp_path)
    state = init_state(config)
    gen = torch.Generator().manual_seed(11)
    from explorer.imaging.phantoms import ellipse_batch

    x0 = ellipse_batch(16, 16, gen)
    t = sample_t(16, gen)
    z = torch.randn(x0.shape, generator=gen)
    before = float(dsm_loss(state.model, x0, t, z).detach())
    for _ in range(25):
        train_step(state, config)
    after = float(dsm_loss(state.model, x0, t, z).detach())
    assert after < before
    assert state.step == 25


def test_checkpoint_resume_continues_step_count(tmp_path):
    first = train(tiny(tmp_path, steps=4))
    assert first.step == 4
    resumed = train(tiny(tmp_path, steps=6, resume=True))
    assert resumed.step == 6
    # Resuming reproduces the uninterrupted run exactly: same data stream, same optimiser state.
    straight = train(tiny(tmp_path / "other", steps=6))
    for a, b in zip(resumed.model.parameters(), straight.model.parameters()):
        torch.testing.assert_close(a, b)
    rows = list(csv.DictReader(open(tmp_path / "ckpt" / "loss.csv")))
    assert [int(r["step"]) for r in rows] == [2, 4, 6]
    assert set(rows[0]) == {"step", "loss", "ema_loss", "seconds", "lr"}


def test_resume_drops_log_rows_after_the_checkpoint(tmp_path):
    config = tiny(tmp_path, steps=4)
    train(config)
    log = tmp_path / "ckpt" / "loss.csv"
    # Rows of steps that a crash lost (written after the last checkpoint) are not kept.
    log.write_text(log.read_text() + "6,0.5,0.5,1.0,0.001\n")
    train(tiny(tmp_path, steps=6, resume=True))
    assert [int(r["step"]) for r in csv.DictReader(open(log))] == [2, 4, 6]


def test_main_runs_from_flags(tmp_path):
    status = main(["--size", "16", "--steps", "2", "--batch", "2", "--channels", "4", "8",
                   "--ckpt-dir", str(tmp_path), "--log-every", "1", "--bf16"])
    assert status == 0
    state = init_state(tiny(tmp_path, ckpt_dir=str(tmp_path)))
    assert load_checkpoint(state, tiny(tmp_path, ckpt_dir=str(tmp_path))) and state.step == 2
    assert (tmp_path / "ema.safetensors").is_file() and (tmp_path / "ema.json").is_file()
