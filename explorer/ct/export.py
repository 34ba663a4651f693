"""The per-iterate history of a CT run as one table: its columns, and the CSV writer the page and the CLI share.

Row convention: row j describes the iterate x_j (j = 0 is the start). PSNR, SSIM and the data fit are those
of x_j; t, step, f, cos and seconds are those of the iteration taken *from* x_j (t_j, b_j, f(x_j), cos angle
(d_j, grad f(x_j)), wall time after it), so they are empty on the newest row. Missing values are empty cells.
"""

from __future__ import annotations

import csv
import io
import math
from typing import Mapping, Sequence

import numpy as np
import torch

from explorer.core.solvers import Trajectory
from explorer.ct.problem import CTProblem, trajectory_quality

RECORD_FIELDS = ("t", "step", "f", "data_fit", "cos", "psnr", "ssim", "seconds")  # per-iterate records
HISTORY_COLUMNS = ("iteration", "start", *RECORD_FIELDS)  # the CSV's header


def history_csv(names: Sequence[str], records: Mapping[str, np.ndarray], note: str | None = None) -> bytes:
    """Every record of every start as UTF-8 CSV, one row per (iteration, start); columns HISTORY_COLUMNS.

    Parameters
    ----------
    names : sequence of str
        K start labels.
    records : mapping of str to np.ndarray, shape (J + 1, K)
        One table per name in RECORD_FIELDS; NaN becomes an empty cell.
    note : str, optional
        Written first as a "# ..." comment line.
    """
    out = io.StringIO()
    if note:
        out.write(f"# {note}\n")
    writer = csv.writer(out)
    writer.writerow(HISTORY_COLUMNS)
    tables = [np.asarray(records[name], dtype=np.float64) for name in RECORD_FIELDS]
    for j in range(tables[0].shape[0]):
        for i, start in enumerate(names):
            values = [float(table[j, i]) for table in tables]
            writer.writerow([j, start, *("" if math.isnan(v) else repr(v) for v in values)])
    return out.getvalue().encode()


def trajectory_records(problem: CTProblem, trajectory: Trajectory) -> dict[str, np.ndarray]:
    """The records of a finished run, each (N + 1, K): PSNR, SSIM and data fit on the recorded iterates only."""
    n_iter, batch = trajectory.n_iter, trajectory.x.shape[1]
    records = {name: np.full((n_iter + 1, batch), np.nan) for name in RECORD_FIELDS}
    for name in ("t", "step", "f", "cos"):
        records[name][:n_iter] = getattr(trajectory, name).double().numpy()
    records["seconds"][:n_iter] = trajectory.seconds.double().numpy()[:, None]
    rows = trajectory.iters.numpy()
    records["psnr"][rows], records["ssim"][rows] = trajectory_quality(trajectory, problem.truth,
                                                                      problem.settings.clip_metrics)
    with torch.no_grad():
        fit = problem.objective.data.value(trajectory.x.reshape(-1, *trajectory.x.shape[2:]))
    records["data_fit"][rows] = fit.double().numpy().reshape(len(rows), batch)
    return records
