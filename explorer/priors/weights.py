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
from safetensors.torch import load, save

from explorer.core.files import atomic_write_bytes, one_line, read_regular_file
from explorer.core.sde import VPSDE
from explorer.priors.unet import EnergyUNet

# The shipped 64 x 64 prior is package data (explorer/priors/assets/), so it travels with an installed wheel.
SHIPPED_WEIGHTS = Path(str(resources.files("explorer.priors") / "assets" / "prior64.safetensors"))
# The smaller U-Net distilled from it (channels 16-32-64): about half the cost of an energy gradient.
SHIPPED_SMALL_WEIGHTS = Path(str(resources.files("explorer.priors") / "assets" / "prior64_small.safetensors"))
# The environment variable GNC_EXPLORER_WEIGHTS points the app and the CLI at another file (say, weights of your
# own training run) without touching the shipped one.
DEFAULT_WEIGHTS = Path(os.environ.get("GNC_EXPLORER_WEIGHTS") or SHIPPED_WEIGHTS)
REBUILD_COMMAND = (
    "python -m explorer train --size 64 --threads 1 --resume (add --bf16 on a GPU; "
    "assets/training/README.md says how to start from the committed checkpoint), then export it with "
    "python -m explorer.priors.export runs/training/prior64/checkpoint.pt explorer/priors/assets/prior64.safetensors"
)
MAX_SIDECAR_BYTES = 64 * 1024  # a sidecar is a few hundred bytes
MAX_WEIGHTS_BYTES = 200 * 1024 * 1024  # the shipped prior is 3 MB
MAX_LEVELS = 6  # U-Net levels a sidecar may name
MAX_CHANNELS = 1024  # channels per level a sidecar may name


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
    data = save(tensors, metadata={"format": "pt"})
    sha = hashlib.sha256(data).hexdigest()
    atomic_write_bytes(path, data)
    sidecar = dict(config, sha256=sha, file=path.name)
    atomic_write_bytes(sidecar_path(path), (json.dumps(sidecar, indent=2) + "\n").encode())
    return sha


def _is_int(value, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _is_real(value, low: float, high: float) -> bool:
    # The bounds also refuse NaN and infinities, which JSON's parser accepts.
    return isinstance(value, (int, float)) and not isinstance(value, bool) and low <= value <= high


def check_config(config) -> dict:
    """The sidecar's content if it describes a network this code can build; else TypeError or ValueError.

    Expected: a JSON object with "sha256" (64 hex digits), "channels" (1 to MAX_LEVELS integers in
    [1, MAX_CHANNELS]), "sde" (an object with 0 <= b0 < b1 <= 1000) and "sigma_data" (in (0, 100]).
    """
    if not isinstance(config, dict):
        raise TypeError(f"expected a JSON object, got {type(config).__name__}")
    missing = [key for key in ("sha256", "channels", "sde", "sigma_data") if key not in config]
    if missing:
        raise ValueError(f"no {', '.join(missing)}")
    sha = config["sha256"]
    if not (isinstance(sha, str) and len(sha) == 64 and all(c in "0123456789abcdef" for c in sha)):
        raise ValueError("sha256 is not 64 hex digits")
    channels = config["channels"]
    if not (isinstance(channels, list) and 1 <= len(channels) <= MAX_LEVELS
            and all(_is_int(c, 1, MAX_CHANNELS) for c in channels)):
        raise ValueError(f"channels must be a list of 1 to {MAX_LEVELS} integers in [1, {MAX_CHANNELS}]")
    sde = config["sde"]
    if not (isinstance(sde, dict) and _is_real(sde.get("b0"), 0, 1000) and _is_real(sde.get("b1"), 0, 1000)
            and sde["b0"] < sde["b1"]):
        raise ValueError("sde must hold numbers 0 <= b0 < b1 <= 1000")
    if not _is_real(config["sigma_data"], 1e-6, 100):
        raise ValueError("sigma_data must be a number in (0, 100]")
    return config


def read_sidecar(path: str | os.PathLike) -> dict:
    """The checked config of a weights file's sidecar (see `check_config`).

    Raises
    ------
    OSError, TypeError or ValueError
        The sidecar is missing, not a small regular file, not JSON, or not a network's config.
    """
    text = read_regular_file(sidecar_path(path), MAX_SIDECAR_BYTES)
    try:
        config = json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply") from None
    return check_config(config)


def _check_tensors(tensors: dict[str, torch.Tensor], config: dict) -> None:
    # The recorded network is built on the meta device first: no memory for a config that does not fit.
    with torch.device("meta"):
        expected = {k: tuple(v.shape) for k, v in model_from_config(config).state_dict().items()}
    got = {k: tuple(v.shape) for k, v in tensors.items()}
    if got.keys() != expected.keys():
        extra, lacking = sorted(got.keys() - expected.keys()), sorted(expected.keys() - got.keys())
        raise ValueError(f"tensor names differ (unexpected {extra[:2]}, missing {lacking[:2]})")
    wrong = [k for k in expected if got[k] != expected[k]]
    if wrong:
        raise ValueError(f"{len(wrong)} tensors have other shapes, e.g. {wrong[0]} {got[wrong[0]]} "
                         f"instead of {expected[wrong[0]]}")
    bad_dtype = [k for k, v in tensors.items() if v.dtype != torch.float32]
    if bad_dtype:
        raise ValueError(f"{bad_dtype[0]} is {tensors[bad_dtype[0]].dtype}, not float32")


def load_model(path: str | os.PathLike = DEFAULT_WEIGHTS, device: str | torch.device = "cpu") -> EnergyUNet:
    """Load an EnergyUNet from a weights file, checking hash and shapes; frozen, in eval mode.

    Only regular files are read, each up to a size cap (MAX_WEIGHTS_BYTES, MAX_SIDECAR_BYTES), so a FIFO,
    a device, a folder or a huge file fails at once.

    Raises
    ------
    WeightsError
        If the file or its sidecar is missing, not a regular file, too large or unreadable, the sidecar
        does not describe a network, the hash differs, or the tensors do not fit the recorded network.
        The message is one line and names the rebuild command.
    """
    path = Path(path)
    hint = f" Rebuild it with: {REBUILD_COMMAND}"
    try:
        data = read_regular_file(path, MAX_WEIGHTS_BYTES)
    except FileNotFoundError:
        raise WeightsError(f"Prior weights not found at {path}.{hint}") from None
    except (OSError, ValueError) as exc:
        raise WeightsError(f"Prior weights at {path} cannot be read ({one_line(exc)}).{hint}") from None
    side = sidecar_path(path)
    try:
        config = read_sidecar(path)
    except (OSError, ValueError, TypeError) as exc:
        raise WeightsError(f"Sidecar {side} is missing or unusable ({one_line(exc)}).{hint}") from None
    actual, expected = hashlib.sha256(data).hexdigest(), config["sha256"]
    if actual != expected:
        raise WeightsError(f"Weights {path} are corrupt: SHA-256 {actual[:12]}... differs from the "
                           f"recorded {expected[:12]}....{hint}")
    try:
        # safetensors raises its own error type, and others (a panic in its Rust core, MemoryError) on
        # adversarial headers: anything it raises means the file is not usable.
        tensors = load(data)
        _check_tensors(tensors, config)
        model = model_from_config(config)
        model.load_state_dict(tensors, strict=True)
    except Exception as exc:  # noqa: BLE001 - see the comment above
        raise WeightsError(f"Weights {path} do not fit the network ({one_line(exc)}).{hint}") from None
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
    try:
        where = Path(path).resolve()
    except (OSError, RuntimeError):  # a symlink loop: load_model names the problem
        where = Path(os.path.abspath(path))
    key = (str(where), str(device))
    with _CACHE_LOCK:
        if key not in _CACHE:
            _CACHE[key] = load_model(path, device)
        return _CACHE[key]
