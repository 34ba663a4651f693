"""Training: a few steps lower the loss of a tiny net; a checkpoint resumes where it stopped."""

import csv
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from explorer import cli
from explorer.priors.training import (TrainConfig, check_config, distillation_loss, dsm_loss, init_state, load_checkpoint, main,
                                      sample_t, train, train_step)


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


def test_distillation_targets_the_teachers_score(tmp_path):
    """A student equal to its teacher has zero loss; a fresh student has some, and steps lower it."""
    from explorer.imaging.phantoms import ellipse_batch
    from explorer.priors.weights import load_model

    train(tiny(tmp_path / "teacher", steps=3))
    teacher_file = tmp_path / "teacher" / "ckpt" / "ema.safetensors"
    teacher = load_model(teacher_file)
    gen = torch.Generator().manual_seed(5)
    x0, t = ellipse_batch(8, 16, gen), sample_t(8, gen)
    z = torch.randn(x0.shape, generator=gen)
    assert float(distillation_loss(teacher, teacher, x0, t, z).detach()) < 1e-10

    config = tiny(tmp_path, channels=(4, 4), teacher=str(teacher_file), steps=30)
    state = init_state(config)
    assert state.teacher is not None and not any(p.requires_grad for p in state.teacher.parameters())
    before = float(distillation_loss(state.model, state.teacher, x0, t, z).detach())
    assert before > 1e-4
    state = train(config, state=state)
    after = float(distillation_loss(state.model, state.teacher, x0, t, z).detach())
    assert after < before
    # The teacher is a setting of the run, kept with the checkpoint.
    ckpt = torch.load(tmp_path / "ckpt" / "checkpoint.pt", weights_only=True)
    assert ckpt["train_config"]["teacher"] == str(teacher_file)


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


# The `train` command: bad settings and damaged checkpoints are one `error:` line and exit 2; nothing is lost.

def train_cli(tmp_path, *args, capsys):
    """`python -m explorer train` on a tiny net in this process: (exit status, stderr lines)."""
    argv = ["train", "--size", "16", "--steps", "2", "--batch", "2", "--channels", "4", "8", "--log-every", "1",
            "--threads", "1", "--ckpt-dir", str(tmp_path / "ckpt"), *args]
    try:
        status = cli.main(argv)
    except SystemExit as stop:  # argparse refuses bad flags by exiting
        status = stop.code
    return status, [line for line in capsys.readouterr().err.splitlines() if line.strip()]


def _truncated(folder):
    train(TrainConfig(size=16, steps=1, batch=2, channels=(4, 8), ckpt_dir=str(folder)))
    ckpt = folder / "checkpoint.pt"
    ckpt.write_bytes(ckpt.read_bytes()[:1000])


def _foreign(folder):
    folder.mkdir(parents=True)
    torch.save({"weights": torch.zeros(3)}, folder / "checkpoint.pt")


def _text(folder):
    folder.mkdir(parents=True)
    (folder / "checkpoint.pt").write_text("not a checkpoint")


def _other_channels(folder):
    train(TrainConfig(size=16, steps=1, batch=2, channels=(4, 4), ckpt_dir=str(folder)))


def _a_folder(folder):
    (folder / "checkpoint.pt").mkdir(parents=True)


@pytest.mark.parametrize("args", [
    ("--batch", "0"), ("--batch", "-3"), ("--batch", "many"),
    ("--size", "17"),  # two levels need an even side
    ("--size", "20", "--channels", "4", "8", "8", "8"),  # four levels need a multiple of 8
    ("--size", "4"), ("--size", "100000"),
    ("--channels", "0", "8"), ("--channels", "-4", "8"), ("--channels", "4.5"), ("--channels", "4", "x"),
    ("--channels", *["4"] * 7), ("--channels", "4", "100000"),
    ("--lr", "0"), ("--lr", "-1e-3"), ("--lr", "nan"), ("--lr", "inf"),
    ("--steps", "0"), ("--steps", "-5"),
    ("--ema", "1.5"), ("--small-t-share", "2"), ("--log-every", "0"), ("--ckpt-every", "nan"),
    ("--threads", "0"), ("--device", "toaster"), ("--teacher", "no-such-weights.safetensors"),
    ("--resume", "--overwrite"), ("--ckpt-dir", ""), ("--log", "."),
])
def test_bad_settings_are_one_line_and_exit_2(tmp_path, capsys, args):
    status, err = train_cli(tmp_path, *args, capsys=capsys)
    assert status == 2
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert not (tmp_path / "ckpt").exists()  # refused before any work


def test_a_ckpt_dir_that_is_a_file_is_refused(tmp_path, capsys):
    (tmp_path / "ckpt").write_text("a file")
    status, err = train_cli(tmp_path, capsys=capsys)
    assert status == 2 and len(err) == 1 and err[0].startswith("error:") and "not a folder" in err[0]
    assert (tmp_path / "ckpt").read_text() == "a file"


@pytest.mark.parametrize("damage", [_truncated, _foreign, _text, _other_channels, _a_folder])
def test_resuming_from_a_damaged_or_foreign_checkpoint_is_one_line_and_exit_2(tmp_path, capsys, damage):
    damage(tmp_path / "ckpt")
    capsys.readouterr()
    before = {p.name: p.read_bytes() for p in (tmp_path / "ckpt").iterdir() if p.is_file()}
    status, err = train_cli(tmp_path, "--resume", capsys=capsys)
    assert status == 2
    assert len(err) == 1 and err[0].startswith("error:"), err
    assert {p.name: p.read_bytes() for p in (tmp_path / "ckpt").iterdir() if p.is_file()} == before


def test_a_checkpoint_is_not_overwritten_without_resume(tmp_path, capsys):
    status, err = train_cli(tmp_path, "--steps", "3", capsys=capsys)
    assert status == 0, err
    before = {p.name: p.read_bytes() for p in (tmp_path / "ckpt").iterdir()}
    status, err = train_cli(tmp_path, capsys=capsys)
    assert status == 2
    assert len(err) == 1 and err[0].startswith("error:") and "--resume" in err[0] and "--overwrite" in err[0]
    assert {p.name: p.read_bytes() for p in (tmp_path / "ckpt").iterdir()} == before


def test_a_loss_log_without_a_checkpoint_is_not_replaced_either(tmp_path, capsys):
    (tmp_path / "ckpt").mkdir()
    (tmp_path / "ckpt" / "loss.csv").write_text("step,loss,ema_loss\n1,0.5,0.5\n")
    status, err = train_cli(tmp_path, capsys=capsys)
    assert status == 2 and "loss.csv" in err[0] and "--overwrite" in err[0]
    assert (tmp_path / "ckpt" / "loss.csv").read_text() == "step,loss,ema_loss\n1,0.5,0.5\n"


def test_overwrite_starts_afresh(tmp_path, capsys):
    assert train_cli(tmp_path, "--steps", "3", capsys=capsys)[0] == 0
    status, err = train_cli(tmp_path, "--overwrite", capsys=capsys)
    assert status == 0, err
    config = tiny(tmp_path, ckpt_dir=str(tmp_path / "ckpt"))
    state = init_state(config)
    assert load_checkpoint(state, config) and state.step == 2
    with open(tmp_path / "ckpt" / "loss.csv") as log:
        assert [int(r["step"]) for r in csv.DictReader(log)] == [1, 2]


def test_an_interrupted_checkpoint_write_keeps_the_previous_checkpoint(tmp_path, monkeypatch):
    from explorer.priors import training

    config = tiny(tmp_path, steps=2)
    train(config)
    folder = Path(config.ckpt_dir)
    before = {p.name: p.read_bytes() for p in folder.iterdir()}
    real_save = torch.save

    def save_half_then_fail(obj, path):
        real_save(obj, path)
        Path(path).write_bytes(Path(path).read_bytes()[:500])
        raise KeyboardInterrupt  # as if Ctrl-C came in the middle of writing

    monkeypatch.setattr(training.torch, "save", save_half_then_fail)
    state = init_state(config)
    load_checkpoint(state, config)
    state.step = 99
    with pytest.raises(KeyboardInterrupt):
        training.save_checkpoint(state, config)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == before  # no temporary file left behind either


def test_sample_t_lower_small_end_reaches_small_noise_levels():
    t = sample_t(20000, torch.Generator().manual_seed(1), small_t_share=1.0, t_small_min=1e-5)
    assert t.min() >= 1e-5 and t.max() <= 1
    # Log-uniform on [1e-5, 1]: P(t < 1e-3) = 2/5.
    assert abs(float((t < 1e-3).double().mean()) - 0.4) < 0.02


def test_t_small_min_out_of_range_is_refused(tmp_path):
    for bad in (0.0, 1e-7, 1.0, float("nan")):
        with pytest.raises(ValueError, match="--t-small-min"):
            check_config(tiny(tmp_path, t_small_min=bad))
