"""Trained prior weights on disk: safetensors plus a JSON sidecar holding the config and a SHA-256.

Weights are never pickled. `load_model` checks the hash and the shapes and raises `WeightsError`,
whose message names the commands that rebuild the file; `cached_model` loads once per process and
returns a frozen model in eval mode, safe to share between app sessions.
"""

from __future__ import annotations

import hashlib
import json
import os
import threading
from importlib import resources
from pathlib import Path

import torch
from safetensors import SafetensorError
from safetensors.torch import load_file, save_file

from explorer.core.sde import VPSDE
from explorer.priors.unet import EnergyUNet

# The shipped 64 x 64 prior is package data (explorer/priors/assets/), so it travels with an installed wheel.
SHIPPED_WEIGHTS = Path(str(resources.files("explorer.priors") / "assets" / "prior64.safetensors"))
# The environment variable GNC_EXPLORER_WEIGHTS points the app and the CLI at another file (say, weights of your
# own training run) without touching the shipped one.
DEFAULT_WEIGHTS = Path(os.environ.get("GNC_EXPLORER_WEIGHTS") or SHIPPED_WEIGHTS)
REBUILD_COMMAND = (
    "python -m explorer train --size 64 --threads 1 --resume (add --bf16 on a GPU; "
    "assets/training/README.md says how to start from the committed checkpoint), then export it with "
    "python -m explorer.priors.weights runs/training/prior64/checkpoint.pt explorer/priors/assets/prior64.safetensors"
)


class WeightsError(RuntimeError):
    """A weights file is missing, corrupt or does not fit the network; the message says how to rebuild it."""


def sidecar_path(path: str | os.PathLike) -> Path:
    """The JSON sidecar beside a weights file: same name, suffix .json."""
    return Path(path).with_suffix(".json")


def file_sha256(path: str | os.PathLike) -> str:
    """SHA-256 of a file's bytes, as a hex string."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def model_config(model: EnergyUNet, size: int, steps: int) -> dict:
    """The config a weights file records: what is needed to rebuild the network and what it saw."""
    return {
        "channels": list(model.channels),
        "size": int(size),
        "sde": {"name": "VP", "b0": model.sde.b0, "b1": model.sde.b1},
        "sigma_data": model.sigma_data,
        "steps": int(steps),
    }


def model_from_config(config: dict) -> EnergyUNet:
    """A freshly initialised EnergyUNet for a recorded config (see `model_config`)."""
    sde = VPSDE(b0=float(config["sde"]["b0"]), b1=float(config["sde"]["b1"]))
    return EnergyUNet(tuple(int(c) for c in config["channels"]), sde, float(config["sigma_data"]))


def _atomic_write_bytes(path: Path, data: bytes) -> None:
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def save_weights(state_dict: dict[str, torch.Tensor], path: str | os.PathLike, config: dict) -> str:
    """Write float32 weights as safetensors plus a JSON sidecar with config and SHA-256.

    Both files are written to temporaries first and moved into place, so an interrupted save never
    leaves a half-written file under the final name.

    Returns
    -------
    str
        The SHA-256 of the weights file.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tensors = {k: v.detach().to("cpu", torch.float32).contiguous() for k, v in state_dict.items()}
    tmp = path.with_name(path.name + ".tmp")
    save_file(tensors, str(tmp), metadata={"format": "pt"})
    os.chmod(tmp, 0o644)  # safetensors creates the file private; shipped weights are for everyone
    os.replace(tmp, path)
    sha = file_sha256(path)
    sidecar = dict(config, sha256=sha, file=path.name)
    _atomic_write_bytes(sidecar_path(path), (json.dumps(sidecar, indent=2) + "\n").encode())
    return sha


def load_model(path: str | os.PathLike = DEFAULT_WEIGHTS, device: str | torch.device = "cpu") -> EnergyUNet:
    """Load an EnergyUNet from a weights file, checking hash and shapes; frozen, in eval mode.

    Raises
    ------
    WeightsError
        If the file or its sidecar is missing, the hash differs, the file is truncated or
        unreadable, or the tensors do not fit the recorded network.
    """
    path = Path(path)
    hint = f" Rebuild it with: {REBUILD_COMMAND}"
    if not path.is_file():
        raise WeightsError(f"Prior weights not found at {path}.{hint}")
    side = sidecar_path(path)
    try:
        config = json.loads(side.read_text())
        expected = config["sha256"]
    except (OSError, ValueError, KeyError) as exc:
        raise WeightsError(f"Sidecar {side} is missing or unreadable ({exc}).{hint}") from exc
    actual = file_sha256(path)
    if actual != expected:
        raise WeightsError(f"Weights {path} are corrupt: SHA-256 {actual[:12]}... differs from the "
                           f"recorded {str(expected)[:12]}....{hint}")
    try:
        tensors = load_file(str(path))
        model = model_from_config(config)
        model.load_state_dict(tensors, strict=True)
    except (SafetensorError, OSError, RuntimeError, KeyError, TypeError, ValueError) as exc:
        raise WeightsError(f"Weights {path} do not fit the network ({exc}).{hint}") from exc
    # Channels-last weights let oneDNN run the convolutions without layout reorders, which makes the energy
    # gradient faster on CPU; the values agree with the default layout to float32 rounding.
    model.to(device).to(memory_format=torch.channels_last).eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    return model


_CACHE: dict[tuple[str, str], EnergyUNet] = {}
_CACHE_LOCK = threading.Lock()


def cached_model(path: str | os.PathLike = DEFAULT_WEIGHTS, device: str = "cpu") -> EnergyUNet:
    """`load_model`, done once per process and path; the model is shared and must not be modified."""
    key = (str(Path(path).resolve()), str(device))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = load_model(path, device)
        return _CACHE[key]


def export_weights(ckpt_path: str | os.PathLike, out_path: str | os.PathLike, use_ema: bool = True) -> str:
    """Export the (EMA) network of a training checkpoint to a safetensors file with its sidecar.

    Returns
    -------
    str
        The SHA-256 of the written file.
    """
    ckpt = torch.load(ckpt_path, map_location="cpu", weights_only=True)
    state = ckpt["ema"] if use_ema else ckpt["model"]
    config = dict(ckpt["config"], steps=int(ckpt["step"]), ema=bool(use_ema))
    return save_weights(state, out_path, config)


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(description="Export a training checkpoint's EMA weights to safetensors.")
    parser.add_argument("checkpoint", type=Path, help="training checkpoint (checkpoint.pt)")
    parser.add_argument("out", type=Path, help=f"output .safetensors (the shipped prior is {SHIPPED_WEIGHTS})")
    parser.add_argument("--no-ema", action="store_true", help="export the raw weights instead of the EMA")
    cli = parser.parse_args()
    print(export_weights(cli.checkpoint, cli.out, use_ema=not cli.no_ema))
