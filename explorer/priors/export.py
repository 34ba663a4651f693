"""Export a training checkpoint's network to the safetensors file (and sidecar) the explorer loads.

Use: ``python -m explorer.priors.export CHECKPOINT OUT.safetensors``. Training writes checkpoints
(`explorer.priors.training`); the app reads weights (`explorer.priors.weights`); this module joins the two, so
neither of them needs the other's reader.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from explorer.priors.training import read_checkpoint
from explorer.priors.weights import SHIPPED_WEIGHTS, save_weights


def export_weights(ckpt_path: str | os.PathLike, out_path: str | os.PathLike, use_ema: bool = True) -> str:
    """Export the (EMA) network of a training checkpoint to a safetensors file with its sidecar.

    Returns
    -------
    str
        The SHA-256 of the written file.

    Raises
    ------
    ValueError
        The checkpoint is missing, truncated or not a training checkpoint.
    """
    ckpt = read_checkpoint(ckpt_path)
    state = ckpt["ema"] if use_ema else ckpt["model"]
    config = dict(ckpt["config"], steps=int(ckpt["step"]), ema=bool(use_ema))
    return save_weights(state, out_path, config)


def main(argv: list[str] | None = None) -> int:
    """`python -m explorer.priors.export CHECKPOINT OUT`: one `error:` line and status 2 on bad input."""
    parser = argparse.ArgumentParser(description="Export a training checkpoint's EMA weights to safetensors.")
    parser.add_argument("checkpoint", type=Path, help="training checkpoint (checkpoint.pt)")
    parser.add_argument("out", type=Path, help=f"output .safetensors (the shipped prior is {SHIPPED_WEIGHTS})")
    parser.add_argument("--no-ema", action="store_true", help="export the raw weights instead of the EMA")
    cli = parser.parse_args(argv)
    try:
        print(export_weights(cli.checkpoint, cli.out, use_ema=not cli.no_ema))
    except (ValueError, OSError) as err:
        print(f"error: {err}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
