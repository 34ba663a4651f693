"""Weights files: round trip with the hash checked; missing, corrupt and mismatched files fail clearly."""

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from explorer.priors.unet import EnergyUNet, NetworkPrior
from explorer.priors import export
from explorer.priors.export import export_weights
from explorer.priors.weights import (REBUILD_COMMAND, WeightsError, cached_model, file_sha256, load_model,
                                     model_config, save_weights, sidecar_path)


@pytest.fixture()
def saved(tmp_path):
    torch.manual_seed(0)  # parameter init only
    model = EnergyUNet((4, 8))
    path = tmp_path / "prior.safetensors"
    save_weights(model.state_dict(), path, model_config(model, 16, 3))
    return model, path


def test_round_trip(saved):
    model, path = saved
    loaded = load_model(path)
    assert not loaded.training
    assert all(not p.requires_grad for p in loaded.parameters())
    for (ka, a), (kb, b) in zip(model.state_dict().items(), loaded.state_dict().items()):
        assert ka == kb
        torch.testing.assert_close(a, b)
    meta = json.loads(sidecar_path(path).read_text())
    assert meta["channels"] == [4, 8] and meta["size"] == 16 and meta["steps"] == 3
    assert len(meta["sha256"]) == 64


def test_cached_model_is_shared(saved):
    _, path = saved
    assert cached_model(path) is cached_model(path)


def expect_error(path, words):
    with pytest.raises(WeightsError) as info:
        load_model(path)
    message = str(info.value)
    assert "python -m explorer train" in message and REBUILD_COMMAND in message
    assert words in message


def test_missing_file(tmp_path):
    expect_error(tmp_path / "nothing.safetensors", "not found")


def test_missing_sidecar(saved):
    _, path = saved
    sidecar_path(path).unlink()
    expect_error(path, "Sidecar")


def test_corrupt_file_fails_hash(saved):
    _, path = saved
    data = bytearray(path.read_bytes())
    data[-5] ^= 0xFF
    path.write_bytes(bytes(data))
    expect_error(path, "corrupt")


def test_truncated_file(saved):
    _, path = saved
    path.write_bytes(path.read_bytes()[:100])
    expect_error(path, "corrupt")


def test_truncated_file_with_matching_hash(saved):
    # A consistent sidecar cannot rescue a file that safetensors cannot read.
    from explorer.priors.weights import file_sha256

    _, path = saved
    path.write_bytes(path.read_bytes()[:100])
    meta = json.loads(sidecar_path(path).read_text())
    meta["sha256"] = file_sha256(path)
    sidecar_path(path).write_text(json.dumps(meta))
    expect_error(path, "do not fit")


def test_wrong_shapes(saved):
    _, path = saved
    meta = json.loads(sidecar_path(path).read_text())
    meta["channels"] = [8, 16]
    sidecar_path(path).write_text(json.dumps(meta))
    expect_error(path, "do not fit")


def test_export_from_checkpoint(tmp_path):
    from explorer.priors.training import TrainConfig, train

    config = TrainConfig(size=16, steps=2, batch=2, channels=(4, 8), ckpt_dir=str(tmp_path), log_every=1)
    state = train(config)
    out = tmp_path / "exported.safetensors"
    export_weights(tmp_path / "checkpoint.pt", out)
    loaded = load_model(out)
    for a, b in zip(state.ema.parameters(), loaded.parameters()):
        torch.testing.assert_close(a, b)
    assert json.loads(sidecar_path(out).read_text())["steps"] == 2


def test_the_environment_can_point_at_other_weights(tmp_path):
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "from explorer.priors.weights import DEFAULT_WEIGHTS; print(DEFAULT_WEIGHTS)"
    root = Path(__file__).resolve().parents[1]
    env = {**os.environ, "GNC_EXPLORER_WEIGHTS": str(tmp_path / "mine.safetensors")}
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == str(tmp_path / "mine.safetensors")
    env.pop("GNC_EXPLORER_WEIGHTS")
    out = subprocess.run([sys.executable, "-c", code], cwd=root, env=env, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == str(root / "explorer" / "priors" / "assets" / "prior64.safetensors")


def test_loaded_model_runs_channels_last_with_the_same_values(tmp_path):
    """Loading converts the convolutions to channels-last (the fast layout on CPU); values do not change."""
    torch.manual_seed(1)  # parameter init only
    model = EnergyUNet((4, 8))
    with torch.no_grad():
        for p in model.parameters():  # move off the identity init, so every layer matters
            p.add_(0.1 * torch.randn(p.shape))
    path = tmp_path / "prior.safetensors"
    save_weights(model.state_dict(), path, model_config(model, 16, 3))
    loaded = load_model(path)
    conv = loaded.net.down[0].conv1.weight
    assert conv.is_contiguous(memory_format=torch.channels_last) and not conv.is_contiguous()
    x = torch.rand(3, 1, 16, 16, generator=torch.Generator().manual_seed(2), dtype=torch.float64)
    t = torch.tensor([0.9, 0.1, 1e-3], dtype=torch.float64)
    e_ref, g_ref = NetworkPrior(model.eval()).energy_and_grad(x, t)
    e, g = NetworkPrior(loaded).energy_and_grad(x, t)
    assert g.is_contiguous() and g.dtype == torch.float64 and g.shape == x.shape
    torch.testing.assert_close(e, e_ref, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(g, g_ref, rtol=1e-4, atol=1e-5 * float(g_ref.abs().max()))


# Hostile files: every one gives the same kind of one-line WeightsError naming the rebuild command, at once.

def _sidecar_text(path, text):
    sidecar_path(path).write_text(text)


def _sidecar_edit(path, **changes):
    meta = json.loads(sidecar_path(path).read_text())
    sidecar_path(path).write_text(json.dumps(meta | changes))


BAD_SIDECARS = {
    "a list": lambda p: _sidecar_text(p, "[1, 2, 3]"),
    "null": lambda p: _sidecar_text(p, "null"),
    "a string": lambda p: _sidecar_text(p, '"weights"'),
    "not JSON": lambda p: _sidecar_text(p, "{channels: [4, 8]"),
    "nested past the recursion limit": lambda p: _sidecar_text(p, "[" * 30_000 + "]" * 30_000),
    "100,000 nested lists": lambda p: _sidecar_text(p, "[" * 100_000 + "]" * 100_000),
    "500 MB": lambda p: os.truncate(_touch(sidecar_path(p)), 500 * 1024**2),
    "a folder": lambda p: (sidecar_path(p).unlink(), sidecar_path(p).mkdir()),
    "a symlink loop": lambda p: (sidecar_path(p).unlink(), sidecar_path(p).symlink_to(sidecar_path(p))),
    "no channels": lambda p: _sidecar_edit(p, channels=[]),
    "channels not a list": lambda p: _sidecar_edit(p, channels=8),
    "channels of strings": lambda p: _sidecar_edit(p, channels=["4", "8"]),
    "channels of floats": lambda p: _sidecar_edit(p, channels=[4.5, 8]),
    "channels of booleans": lambda p: _sidecar_edit(p, channels=[True, 8]),
    "negative channels": lambda p: _sidecar_edit(p, channels=[-4, 8]),
    "zero channels": lambda p: _sidecar_edit(p, channels=[0, 8]),
    "huge channels": lambda p: _sidecar_edit(p, channels=[4, 10**9]),
    "a 5000-digit channel": lambda p: _sidecar_text(p, sidecar_path(p).read_text().replace("4,", "9" * 5000 + ",", 1)),
    "too many levels": lambda p: _sidecar_edit(p, channels=[4] * 50),
    "sha256 a number": lambda p: _sidecar_edit(p, sha256=12),
    "no sde": lambda p: sidecar_path(p).write_text(json.dumps(
        {k: v for k, v in json.loads(sidecar_path(p).read_text()).items() if k != "sde"})),
    "sde b0 NaN": lambda p: _sidecar_text(p, sidecar_path(p).read_text().replace('"b0": 0.1', '"b0": NaN')),
    "sde a list": lambda p: _sidecar_edit(p, sde=[0.1, 20]),
    "sigma_data a string": lambda p: _sidecar_edit(p, sigma_data="0.5"),
    "sigma_data negative": lambda p: _sidecar_edit(p, sigma_data=-1),
}


def _touch(path):
    path.unlink(missing_ok=True)
    path.touch()
    return path


def expect_one_line(path):
    start = time.monotonic()
    with pytest.raises(WeightsError) as info:
        load_model(path)
    message = str(info.value)
    assert "\n" not in message and len(message) < 1000 and message.endswith(REBUILD_COMMAND)
    assert time.monotonic() - start < 10
    return message


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", list(BAD_SIDECARS))
def test_a_bad_sidecar_is_one_line_naming_the_rebuild(saved, kind):
    _, path = saved
    BAD_SIDECARS[kind](path)
    assert "Sidecar" in expect_one_line(path)


def _extra_tensor(path):
    from safetensors.torch import load_file, save_file

    tensors = load_file(str(path)) | {"stowaway": torch.zeros(3)}
    save_file(tensors, str(path))
    _sidecar_edit(path, sha256=file_sha256(path))


def _float64_tensors(path):
    from safetensors.torch import load_file, save_file

    save_file({k: v.double() for k, v in load_file(str(path)).items()}, str(path))
    _sidecar_edit(path, sha256=file_sha256(path))


def _huge_header(path):
    # A safetensors header claiming 2**60 bytes: the parser must refuse, not allocate.
    path.write_bytes((2**60).to_bytes(8, "little") + b"{}")
    _sidecar_edit(path, sha256=file_sha256(path))


BAD_WEIGHTS = {
    "a folder": lambda p: (p.unlink(), p.mkdir()),
    "a symlink loop": lambda p: (p.unlink(), p.symlink_to(p)),
    "a dangling symlink": lambda p: (p.unlink(), p.symlink_to(p.parent / "gone.safetensors")),
    "300 MB": lambda p: os.truncate(p, 300 * 1024**2),
    "an extra tensor": _extra_tensor,
    "float64 tensors": _float64_tensors,
    "a huge header": _huge_header,
    "empty": lambda p: (p.write_bytes(b""), _sidecar_edit(p, sha256=file_sha256(p))),
}


@pytest.mark.timeout(60)
@pytest.mark.parametrize("kind", list(BAD_WEIGHTS))
def test_a_bad_weights_path_is_one_line_naming_the_rebuild(saved, kind):
    _, path = saved
    BAD_WEIGHTS[kind](path)
    expect_one_line(path)


def test_cached_model_survives_a_symlink_loop(tmp_path):
    loop = tmp_path / "loop.safetensors"
    loop.symlink_to(loop)
    with pytest.raises(WeightsError):
        cached_model(loop)


SPECIAL_FILES_SCRIPT = """
import os, sys
from pathlib import Path
from explorer.priors.weights import WeightsError, load_model, sidecar_path
good = Path(sys.argv[1])
for name, target, which in [("fifo", None, "weights"), ("fifo", None, "sidecar"),
                            ("zero", "/dev/zero", "weights"), ("zero", "/dev/zero", "sidecar"),
                            ("urandom", "/dev/urandom", "weights"), ("urandom", "/dev/urandom", "sidecar")]:
    folder = good.parent / f"{name}-{which}"
    folder.mkdir()
    weights = folder / good.name
    weights.write_bytes(good.read_bytes())
    sidecar_path(weights).write_bytes(sidecar_path(good).read_bytes())
    victim = weights if which == "weights" else sidecar_path(weights)
    victim.unlink()
    os.mkfifo(victim) if target is None else victim.symlink_to(target)
    try:
        load_model(weights)
    except WeightsError as err:
        print(name, which, "one line" if "\\n" not in str(err) else "several lines", flush=True)
"""


def test_fifos_and_devices_fail_at_once(saved):
    """A FIFO with no writer or a device would block or never end: each fails at once (the run has a timeout)."""
    _, path = saved
    root = Path(__file__).resolve().parents[1]
    out = subprocess.run([sys.executable, "-c", SPECIAL_FILES_SCRIPT, str(path)], cwd=root, capture_output=True,
                         text=True, timeout=60, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.split("\n")[:-1] == [f"{name} {which} one line" for name in ("fifo", "zero", "urandom")
                                           for which in ("weights", "sidecar")]


@pytest.mark.parametrize("damage", ["truncated", "not a checkpoint", "missing"])
def test_export_from_a_damaged_checkpoint_is_a_value_error(tmp_path, damage):
    from explorer.priors.training import TrainConfig, train

    train(TrainConfig(size=16, steps=1, batch=2, channels=(4, 8), ckpt_dir=str(tmp_path)))
    ckpt = tmp_path / "checkpoint.pt"
    if damage == "truncated":
        ckpt.write_bytes(ckpt.read_bytes()[:2000])
    elif damage == "not a checkpoint":
        torch.save({"weights": torch.zeros(2)}, ckpt)
    else:
        ckpt.unlink()
    out = tmp_path / "exported.safetensors"
    with pytest.raises(ValueError) as info:
        export_weights(ckpt, out)
    assert "\n" not in str(info.value)
    assert not out.exists()


def test_the_export_command_refuses_a_damaged_checkpoint_with_one_line(tmp_path, capsys):
    (tmp_path / "checkpoint.pt").write_text("not a checkpoint")
    status = export.main([str(tmp_path / "checkpoint.pt"), str(tmp_path / "w.safetensors")])
    lines = [line for line in capsys.readouterr().err.splitlines() if line.strip()]
    assert status == 2 and len(lines) == 1 and lines[0].startswith("error:"), lines
    assert not (tmp_path / "w.safetensors").exists()
