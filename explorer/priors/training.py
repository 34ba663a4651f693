"""Training the CT prior by denoising score matching on freshly generated ellipse phantoms.

Loss (per pixel): || s(t) score(x_t, t) + z ||^2 / n^2, x_t = m(t) x_0 + s(t) z, averaged over the
batch; score = -grad_x E by autograd with create_graph, so every step back-propagates twice.
Training resumes exactly: a checkpoint holds the model, its EMA, the optimiser, the step and the
state of the generator that draws phantoms, t and z.

With ``--teacher WEIGHTS`` the target is a trained network's score instead of the noise (distillation):
|| s(t) (score(x_t, t) - score_teacher(x_t, t)) ||^2 / n^2 on the same x_t. The teacher's score is the
conditional expectation the noise target only matches on average, so a smaller student learns it from far
fewer steps; that is how a cheaper prior is made from the shipped one.

Use: ``python -m explorer train --size 64 --resume`` (add ``--bf16`` on a GPU). Checkpoints go to a git-ignored
run folder; assets/training/README.md says how to continue the shipped prior's training from its checkpoint.
"""

from __future__ import annotations

import argparse
import copy
import io
import math
import os
import signal
import sys
import threading
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import torch

from explorer.core.files import atomic_path, atomic_write_bytes, one_line, read_regular_file
from explorer.core.sde import VPSDE
from explorer.imaging.phantoms import ellipse_batch
from explorer.priors.unet import DEFAULT_CHANNELS, EnergyUNet, energy_and_score
from explorer.priors.weights import model_config, save_weights

T_EPS = 1e-5  # smallest t seen in training (the paper's t ~ U(1e-5, 1))
T_SMALL_MIN = 1e-3  # default lower end of the log-uniform share: the CT solver's t_min


@dataclass(frozen=True)
class TrainConfig:
    """Settings of one training run; defaults are the shipped 64 x 64 prior's."""

    size: int = 64  # image side n
    steps: int = 100_000  # total optimiser steps (a resumed run continues up to this)
    batch: int = 16  # phantoms per step
    lr: float = 3e-4  # Adam learning rate after warm-up
    warmup: int = 500  # linear learning-rate warm-up steps
    channels: tuple[int, ...] = DEFAULT_CHANNELS  # U-Net channels per level
    ema: float = 0.999  # EMA decay of the weights
    clip: float = 1.0  # gradient-norm clipping
    small_t_share: float = 0.5  # share of t drawn log-uniform in [t_small_min, 1] instead of U(1e-5, 1)
    t_small_min: float = T_SMALL_MIN  # lower end of that log-uniform share (1e-4: s(t) down to 0.003)
    seed: int = 0  # seeds the network init and the data stream
    bf16: bool = False  # bfloat16 autocast for the network
    device: str = "cpu"  # torch device
    ckpt_dir: str = "runs/training/prior64"  # checkpoint.pt and ema.safetensors; git-ignored, never committed
    ckpt_every: float = 300.0  # seconds between checkpoints
    log: str | None = None  # CSV loss log (default: ckpt_dir/loss.csv)
    log_every: int = 10  # steps between CSV rows and progress lines
    resume: bool = False  # continue from ckpt_dir/checkpoint.pt when present
    overwrite: bool = False  # start afresh even though ckpt_dir holds a checkpoint (which is then replaced)
    teacher: str | None = None  # weights of a trained network whose score is the target (distillation)


MAX_CHECKPOINT_BYTES = 2 * 1024**3  # a checkpoint of the largest network check_config allows fits


def check_config(config: TrainConfig) -> None:
    """Refuse settings a run cannot use, before any work: ValueError naming the setting.

    The image side must be a multiple of 2 ** (levels - 1), so that every down-sampling of the U-Net
    halves it exactly.
    """
    levels = len(config.channels)
    if not 1 <= levels <= 6 or not all(isinstance(c, int) and 1 <= c <= 1024 for c in config.channels):
        raise ValueError(f"--channels must be 1 to 6 integers in [1, 1024], got {list(config.channels)}")
    multiple = 2 ** (levels - 1)
    if not 8 <= config.size <= 1024 or config.size % multiple:
        raise ValueError(f"--size must be in [8, 1024] and a multiple of {multiple} for {levels} levels, "
                         f"got {config.size}")
    checks = [
        ("--steps", config.steps, 1 <= config.steps <= 10**9, "an integer in [1, 1e9]"),
        ("--batch", config.batch, 1 <= config.batch <= 4096, "an integer in [1, 4096]"),
        ("--lr", config.lr, 0 < config.lr <= 10, "a number in (0, 10]"),
        ("--ema", config.ema, 0 <= config.ema < 1, "a number in [0, 1)"),
        ("--small-t-share", config.small_t_share, 0 <= config.small_t_share <= 1, "a number in [0, 1]"),
        ("--t-small-min", config.t_small_min, T_EPS <= config.t_small_min < 1, f"a number in [{T_EPS:g}, 1)"),
        ("--ckpt-every", config.ckpt_every, 0 < config.ckpt_every <= 1e9, "a number of seconds in (0, 1e9]"),
        ("--log-every", config.log_every, 1 <= config.log_every <= 10**9, "an integer in [1, 1e9]"),
    ]
    for flag, value, ok, wanted in checks:  # the comparisons are False for NaN, so NaN is refused too
        if not ok:
            raise ValueError(f"{flag} must be {wanted}, got {value}")
    if not str(config.ckpt_dir).strip():
        raise ValueError("--ckpt-dir must not be empty")
    folder = Path(config.ckpt_dir)
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"--ckpt-dir {folder} exists and is not a folder")
    if config.log is not None and (not str(config.log).strip() or Path(config.log).is_dir()):
        raise ValueError(f"--log must name a file, got {config.log!r}")
    try:
        device = torch.device(config.device)
    except RuntimeError:
        raise ValueError(f"--device {config.device!r} is not a torch device") from None
    if device.type == "cuda" and not torch.cuda.is_available():
        raise ValueError(f"--device {config.device}: CUDA is not available here")
    if config.resume and config.overwrite:
        raise ValueError("--resume and --overwrite exclude each other")
    if not config.resume and not config.overwrite:
        # A fresh run would replace these: the loss log of an earlier run is work too.
        for path in (checkpoint_path(config), loss_log_path(config)):
            if path.exists() or path.is_symlink():
                raise ValueError(f"{path} is there from an earlier run; continue it with --resume or replace it "
                                 "with --overwrite")


def loss_log_path(config: TrainConfig) -> Path:
    """The CSV loss log of a run: --log, or loss.csv beside the checkpoint."""
    return Path(config.log) if config.log else Path(config.ckpt_dir) / "loss.csv"


def sample_t(batch: int, generator: torch.Generator, small_t_share: float = 0.5,
             t_small_min: float = T_SMALL_MIN) -> torch.Tensor:
    """Training times, shape (batch,), float64: a mixture of U(1e-5, 1) and log-uniform on [t_small_min, 1].

    The log-uniform share puts the weight where the GNC solver spends most iterations (a geometric
    schedule from 1 to 1e-3) and where the score is hardest to learn. A lower ``t_small_min`` trains the
    small noise levels that problems with little measurement noise (denoising at s.d. 0.004) reach.
    """
    u = torch.rand(batch, generator=generator, dtype=torch.float64)
    uniform = T_EPS + (1 - T_EPS) * u
    log_uniform = torch.exp(math.log(t_small_min) * (1 - u))
    pick = torch.rand(batch, generator=generator, dtype=torch.float64) < small_t_share
    return torch.where(pick, log_uniform, uniform)


def _noised(model: EnergyUNet, x0: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    """x_t = m(t) x_0 + s(t) z and s(t) shaped (B, 1, 1, 1), the inputs both training losses share."""
    view = (-1, 1, 1, 1)
    m = model.sde.m(t.double()).float().to(x0.device).view(view)
    s = model.sde.s(t.double()).float().to(x0.device).view(view)
    return m * x0 + s * z, s


def dsm_loss(model: EnergyUNet, x0: torch.Tensor, t: torch.Tensor, z: torch.Tensor) -> torch.Tensor:
    """Denoising score-matching loss per pixel, a scalar: mean_b ||s(t) score(x_t, t) + z||^2 / n^2.

    Parameters
    ----------
    model : EnergyUNet
        Energy network; its score is -grad_x E.
    x0 : torch.Tensor
        Clean images, shape (B, 1, n, n).
    t : torch.Tensor
        Times, shape (B,).
    z : torch.Tensor
        Standard normal noise, shape of x0.
    """
    xt, s = _noised(model, x0, t, z)
    _, score = energy_and_score(model, xt, t.to(x0.device), create_graph=True)
    return (s * score + z).flatten(1).pow(2).mean(1).mean()


def distillation_loss(model: EnergyUNet, teacher: EnergyUNet, x0: torch.Tensor, t: torch.Tensor,
                      z: torch.Tensor) -> torch.Tensor:
    """Distillation loss per pixel, a scalar: mean_b || s(t) (score(x_t, t) - score_teacher(x_t, t)) ||^2 / n^2.

    Same x_t and weighting as :func:`dsm_loss`; the teacher (frozen) gives the target without a graph.
    """
    xt, s = _noised(model, x0, t, z)
    _, target = energy_and_score(teacher, xt, t.to(x0.device))
    _, score = energy_and_score(model, xt, t.to(x0.device), create_graph=True)
    return (s * (score - target.detach())).flatten(1).pow(2).mean(1).mean()


@dataclass
class TrainState:
    """Everything a resumed run needs: model, EMA copy, optimiser, step and the data generator."""

    model: EnergyUNet
    ema: EnergyUNet
    optimizer: torch.optim.Optimizer
    generator: torch.Generator
    step: int = 0
    ema_loss: float = float("nan")
    seconds: float = 0.0  # training seconds over all sessions
    teacher: EnergyUNet | None = None  # frozen target network of a distillation run


def init_state(config: TrainConfig) -> TrainState:
    """A fresh training state, the network initialised from config.seed."""
    init_gen = torch.Generator().manual_seed(config.seed)
    with torch.random.fork_rng(devices=[]):
        # Module initialisers draw from the global generator; fork it so the library seeds nothing globally.
        torch.manual_seed(int(torch.randint(0, 2**62, (1,), generator=init_gen)))
        model = EnergyUNet(config.channels, VPSDE())
    model.to(config.device)
    ema = copy.deepcopy(model)
    for p in ema.parameters():
        p.requires_grad_(False)
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr)
    generator = torch.Generator().manual_seed(config.seed + 1)
    teacher = None
    if config.teacher is not None:
        from explorer.priors.weights import WeightsError, load_model

        try:
            teacher = load_model(config.teacher, device=config.device)
        except WeightsError as err:
            raise ValueError(f"--teacher: {err}") from None
        if teacher.sde.b0 != model.sde.b0 or teacher.sde.b1 != model.sde.b1:
            raise ValueError("--teacher: its SDE differs from the student's")
        for p in teacher.parameters():
            p.requires_grad_(False)
    return TrainState(model, ema, optimizer, generator, teacher=teacher)


def checkpoint_path(config: TrainConfig) -> Path:
    """The single checkpoint file kept for a run."""
    return Path(config.ckpt_dir) / "checkpoint.pt"


def save_checkpoint(state: TrainState, config: TrainConfig) -> Path:
    """Write checkpoint.pt and ema.safetensors atomically (temporary file, then os.replace)."""
    path = checkpoint_path(config)
    path.parent.mkdir(parents=True, exist_ok=True)
    net_config = model_config(state.model, config.size, state.step)
    payload = {
        "model": state.model.state_dict(),
        "ema": state.ema.state_dict(),
        "optimizer": state.optimizer.state_dict(),
        "generator": state.generator.get_state(),
        "step": state.step,
        "ema_loss": state.ema_loss,
        "seconds": state.seconds,
        "config": net_config,
        "train_config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in asdict(config).items()},
    }
    with atomic_path(path) as tmp:
        torch.save(payload, tmp)
    save_weights(state.ema.state_dict(), path.parent / "ema.safetensors", dict(net_config, ema=True))
    return path


def read_checkpoint(path: str | os.PathLike) -> dict:
    """A training checkpoint's content (see `save_checkpoint`), read without unpickling code.

    Raises
    ------
    ValueError
        The path is not a regular file, too large, truncated, or not a checkpoint of this trainer.
    """
    try:
        data = read_regular_file(path, MAX_CHECKPOINT_BYTES)
        ckpt = torch.load(io.BytesIO(data), map_location="cpu", weights_only=True)
    except FileNotFoundError:
        raise ValueError(f"no checkpoint at {path}") from None
    except Exception as exc:  # noqa: BLE001 - torch.load raises many types on a damaged or foreign file
        raise ValueError(f"{path} is not a readable training checkpoint ({one_line(exc)})") from None
    keys = {"model", "ema", "optimizer", "generator", "step", "ema_loss", "seconds", "config"}
    if not isinstance(ckpt, dict) or not keys <= ckpt.keys() or not isinstance(ckpt["config"], dict):
        raise ValueError(f"{path} is not a training checkpoint of this trainer")
    return ckpt


def load_checkpoint(state: TrainState, config: TrainConfig) -> bool:
    """Restore state in place from the run's checkpoint; False when there is none.

    Raises
    ------
    ValueError
        The checkpoint is damaged, foreign, or of a network with other channels.
    """
    path = checkpoint_path(config)
    if not (path.exists() or path.is_symlink()):
        return False
    ckpt = read_checkpoint(path)
    if list(ckpt["config"].get("channels", [])) != list(config.channels):
        raise ValueError(f"checkpoint {path} has channels {ckpt['config'].get('channels')}, "
                         f"not {list(config.channels)}")
    try:
        state.model.load_state_dict(ckpt["model"])
        state.ema.load_state_dict(ckpt["ema"])
        state.optimizer.load_state_dict(ckpt["optimizer"])
        state.generator.set_state(ckpt["generator"].cpu())
        state.step = int(ckpt["step"])
        state.ema_loss = float(ckpt["ema_loss"])
        state.seconds = float(ckpt["seconds"])
    except Exception as exc:  # noqa: BLE001 - shapes, dtypes and types of a damaged file fail in many ways
        raise ValueError(f"checkpoint {path} does not fit this run ({one_line(exc)})") from None
    return True


def learning_rate(config: TrainConfig, step: int) -> float:
    """Linear warm-up to config.lr, then constant."""
    return config.lr * min(1.0, (step + 1) / max(1, config.warmup))


def train_step(state: TrainState, config: TrainConfig) -> float:
    """One optimiser step on a fresh batch; returns the loss (per pixel) before the update."""
    x0 = ellipse_batch(config.batch, config.size, state.generator).to(config.device)
    t = sample_t(config.batch, state.generator, config.small_t_share, config.t_small_min)
    z = torch.randn(x0.shape, generator=state.generator).to(config.device)
    for group in state.optimizer.param_groups:
        group["lr"] = learning_rate(config, state.step)
    device_type = torch.device(config.device).type
    with torch.autocast(device_type, dtype=torch.bfloat16, enabled=config.bf16):
        if state.teacher is None:
            loss = dsm_loss(state.model, x0, t, z)
        else:
            loss = distillation_loss(state.model, state.teacher, x0, t, z)
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    torch.nn.utils.clip_grad_norm_(state.model.parameters(), config.clip)
    state.optimizer.step()
    # EMA decay warms up as (1 + k) / (10 + k) so that early exports are not mostly the random init.
    decay = min(config.ema, (1 + state.step) / (10 + state.step))
    with torch.no_grad():
        ema_params = list(state.ema.parameters())
        torch._foreach_lerp_(ema_params, [p.detach() for p in state.model.parameters()], 1 - decay)
    state.step += 1
    value = float(loss.detach())
    state.ema_loss = value if math.isnan(state.ema_loss) else 0.98 * state.ema_loss + 0.02 * value
    return value


def starting_state(config: TrainConfig) -> TrainState:
    """The state a run begins from: checked settings, a fresh network, or the checkpoint with --resume.

    Raises
    ------
    ValueError
        A setting is out of range, or the checkpoint cannot be resumed or would be overwritten.
    """
    check_config(config)
    state = init_state(config)
    if config.resume:
        load_checkpoint(state, config)
    return state


def train(config: TrainConfig, progress=None, state: TrainState | None = None) -> TrainState:
    """Run (or resume) training until config.steps, checkpointing every config.ckpt_every seconds.

    Parameters
    ----------
    config : TrainConfig
        Run settings.
    progress : callable, optional
        Called as progress(step, steps, loss, ema_loss, seconds_per_step) every config.log_every steps.
    state : TrainState, optional
        Where to begin (default: `starting_state(config)`).

    Returns
    -------
    TrainState
        The final state; a checkpoint of it is on disk. SIGTERM and Ctrl-C stop after the current
        step with a checkpoint written.
    """
    state = starting_state(config) if state is None else state
    log_path = loss_log_path(config)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    _start_log(log_path, state.step)
    stop = {"flag": False}

    def request_stop(signum, frame):
        stop["flag"] = True

    previous = signal.signal(signal.SIGTERM, request_stop) if _main_thread() else None
    last_ckpt = time.monotonic()
    window_loss, window_steps, window_start = 0.0, 0, time.monotonic()
    try:
        while state.step < config.steps and not stop["flag"]:
            start = time.monotonic()
            loss = train_step(state, config)
            state.seconds += time.monotonic() - start
            window_loss += loss
            window_steps += 1
            if state.step % config.log_every == 0 or state.step == config.steps:
                per_step = (time.monotonic() - window_start) / window_steps
                with open(log_path, "a") as handle:
                    handle.write(f"{state.step},{window_loss / window_steps:.6f},{state.ema_loss:.6f},"
                                 f"{state.seconds:.1f},{learning_rate(config, state.step - 1):.3g}\n")
                if progress is not None:
                    progress(state.step, config.steps, window_loss / window_steps, state.ema_loss, per_step)
                window_loss, window_steps, window_start = 0.0, 0, time.monotonic()
            if time.monotonic() - last_ckpt >= config.ckpt_every:
                save_checkpoint(state, config)
                last_ckpt = time.monotonic()
    except KeyboardInterrupt:
        pass
    finally:
        save_checkpoint(state, config)
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
    return state


def _start_log(path: Path, step: int) -> None:
    """Start the CSV loss log, or keep the rows up to `step` of an existing one.

    Rows written after the last checkpoint of an interrupted run are dropped, so a resumed run
    never repeats a step in the log.
    """
    header = "step,loss,ema_loss,seconds,lr\n"
    if step == 0 or not path.exists():
        atomic_write_bytes(path, header.encode())
        return
    lines = path.read_text().splitlines(keepends=True)[1:]
    kept = [line for line in lines if line.split(",")[0].isdigit() and int(line.split(",")[0]) <= step]
    atomic_write_bytes(path, (header + "".join(kept)).encode())


def _main_thread() -> bool:
    """Whether this is the main thread (only it may install signal handlers)."""
    return threading.current_thread() is threading.main_thread()


def print_progress(step: int, steps: int, loss: float, ema_loss: float, per_step: float) -> None:
    """A progress line on stderr: step, loss, EMA loss, seconds a step and time left."""
    left = (steps - step) * per_step
    line = (f"step {step}/{steps}  loss {loss:.4f}  ema {ema_loss:.4f}  {per_step:.2f} s/step  "
            f"eta {left / 3600:.1f} h")
    end = "\r" if sys.stderr.isatty() else "\n"
    print(line, end=end, file=sys.stderr, flush=True)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Add the training flags to an argparse parser (used by `python -m explorer train`)."""
    d = TrainConfig()
    parser.add_argument("--size", type=int, default=d.size, help="image side n (pixels)")
    parser.add_argument("--steps", type=int, default=d.steps, help="total optimiser steps")
    parser.add_argument("--batch", type=int, default=d.batch, help="phantoms per step")
    parser.add_argument("--lr", type=float, default=d.lr, help="Adam learning rate")
    parser.add_argument("--channels", type=int, nargs="+", default=list(d.channels),
                        help="U-Net channels per level, e.g. 24 48 96")
    parser.add_argument("--ema", type=float, default=d.ema, help="EMA decay of the weights")
    parser.add_argument("--small-t-share", type=float, default=d.small_t_share,
                        help="share of t drawn log-uniform in [1e-3, 1]")
    parser.add_argument("--t-small-min", type=float, default=d.t_small_min,
                        help="lower end of the log-uniform share of t (default 1e-3, the solver's t_min)")
    parser.add_argument("--seed", type=int, default=d.seed, help="seed of the init and data stream")
    parser.add_argument("--bf16", action="store_true",
                        help="bfloat16 autocast for the network: faster on GPUs and CPUs with AVX512-BF16 or AMX, "
                             "far slower on CPUs without them")
    parser.add_argument("--device", default=d.device, help="torch device: cpu, cuda, cuda:1, ...")
    parser.add_argument("--threads", type=int, default=None, help="torch CPU threads (default: torch's)")
    parser.add_argument("--ckpt-dir", default=d.ckpt_dir, help="folder of checkpoint.pt and ema.safetensors")
    parser.add_argument("--ckpt-every", type=float, default=d.ckpt_every, help="seconds between checkpoints")
    parser.add_argument("--log", default=d.log, help="CSV loss log (default: CKPT_DIR/loss.csv)")
    parser.add_argument("--log-every", type=int, default=d.log_every, help="steps between log rows")
    parser.add_argument("--teacher", default=d.teacher,
                        help="distil: weights (.safetensors) of a trained network whose score is the target")
    resume = parser.add_mutually_exclusive_group()
    resume.add_argument("--resume", action="store_true", help="continue from CKPT_DIR/checkpoint.pt")
    resume.add_argument("--overwrite", action="store_true",
                        help="start afresh and replace CKPT_DIR/checkpoint.pt (without it, an existing one is kept)")


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    """The TrainConfig named by parsed flags."""
    return TrainConfig(size=args.size, steps=args.steps, batch=args.batch, lr=args.lr,
                       channels=tuple(args.channels), ema=args.ema, small_t_share=args.small_t_share,
                       t_small_min=args.t_small_min,
                       seed=args.seed, bf16=args.bf16, device=args.device, ckpt_dir=args.ckpt_dir,
                       ckpt_every=args.ckpt_every, log=args.log, log_every=args.log_every,
                       resume=args.resume, overwrite=args.overwrite, teacher=args.teacher)


def run(args: argparse.Namespace) -> int:
    """Train from parsed flags, printing progress to stderr; returns an exit status."""
    if args.threads is not None and not 1 <= args.threads <= 256:
        raise ValueError(f"--threads must be an integer in [1, 256], got {args.threads}")
    if args.threads:
        torch.set_num_threads(args.threads)
    config = config_from_args(args)
    state = starting_state(config)
    print(f"training {config}", file=sys.stderr, flush=True)
    state = train(config, progress=print_progress, state=state)
    print(f"\nstopped at step {state.step}; checkpoint in {checkpoint_path(config)}", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Command-line entry: parse argv and train."""
    parser = argparse.ArgumentParser(description="Train the CT prior by denoising score matching.")
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
