"""Weights files: round trip with the hash checked; missing, corrupt and mismatched files fail clearly."""

import json

import pytest
import torch

from explorer.priors.unet import EnergyUNet, NetworkPrior
from explorer.priors.weights import (REBUILD_COMMAND, WeightsError, cached_model, export_weights, load_model,
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
