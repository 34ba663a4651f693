"""The CT benchmark runs end to end at a tiny size and reports the default run, the levers and the larger run."""

from __future__ import annotations

import json

import pytest

from explorer.bench import ct as bench


@pytest.mark.slow
def test_the_ct_benchmark_reports_every_part(tmp_path):
    path = tmp_path / "ct.json"
    result = bench.run(str(path), prior="gaussian", n=32, n_angles=8, phantoms=1, n_iter=5, batch_iters=3,
                       lever_phantoms=1, repeats=1)
    assert json.loads(path.read_text())["default_run"]["step_rule"] == "bb-plain"
    run = result["default_run"]
    assert run["values_per_iteration"] == 0 and 1 <= run["gradients_per_iteration"] < 2
    rows = {row["lever"]: row for row in result["levers"]["rows"]}
    assert len(rows) == len(bench.LEVERS)
    searching = rows["BB x4 + Armijo (authors', monotone), 200 it"]
    plain = rows["plain BB, no search, 200 it"]
    assert searching["gradients_per_iteration"] == pytest.approx(2.0, abs=0.01)
    assert searching["values_per_iteration"] >= 1
    assert plain["gradients_per_iteration"] == pytest.approx(1.0, abs=0.01) and plain["values_per_iteration"] == 0
    assert [net["channels"] for net in result["levers"]["network_cost"]] == [list(c) for c in bench.SMALLER_NETS]
    assert result["larger"]["n"] == 128 and result["larger"]["starts"] == 1
    command = result["command"]
    assert command["seeds"] == [bench.ct.HELD_OUT_SEED] and command["same_psnr"] is True
    assert "--size 32 --angles 8" in command["command"] and "--prior gaussian" in command["command"]
    assert all(len(v) == 1 and v[0] > 0 for v in command["seconds_all"].values())
    table = bench.format_table(result)
    assert "levers" in table and "128 x 128" in table and "with glibc's default allocator" in table
