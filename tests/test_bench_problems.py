"""The benchmark beyond CT: every problem's reference, TV, GD and GNC on held-out phantoms, a table and its JSON,
and `bench problems` wiring its flags through."""

from __future__ import annotations

import json

import pytest

from explorer import cli, ct
from explorer.bench import problems as bench

PROBLEMS = ("ct", "deblur")


@pytest.fixture(scope="module")
def result(tmp_path_factory):
    path = tmp_path_factory.mktemp("bench") / "problems.json"
    lines = []
    out = bench.run(str(path), threads=1, prior="gaussian", n=16, phantoms=1, n_iter=3, problems=PROBLEMS,
                    progress=lines.append)
    return out, path, lines


def test_the_json_is_the_result_with_every_row(result):
    out, path, _ = result
    assert json.loads(path.read_text()) == json.loads(json.dumps(out))
    assert list(out["problems"]) == list(PROBLEMS) and out["phantoms"] == 1
    for name, r in out["problems"].items():
        assert r["reference_name"] == ct.ProblemSettings(problem=name).reference_name
        assert r["operator_params"] == ct.ProblemSettings(problem=name).operator_params()
        assert r["phantom_seeds"] == [ct.HELD_OUT_SEED]
        for row in bench.ROWS:
            assert 0 < r[f"{row}_psnr"] < 100 and 0 < r[f"{row}_ssim"] <= 1
        assert list(r["gnc_psnr_by_start"]) == list(bench.STARTS) and len(r["per_phantom"][0]["gnc_psnr"]) == 4
        spread = max(r["per_phantom"][0]["gnc_psnr"]) - min(r["per_phantom"][0]["gnc_psnr"])
        assert r["gnc_spread_max_db"] == pytest.approx(spread)
    assert out["gnc_at_least_tv"] == [n for n, r in out["problems"].items() if r["gnc_psnr"] >= r["tv_psnr"]]
    assert out["settings"]["solver"]["n_iter"] == 3


def test_the_table_has_a_line_per_problem_and_the_summary(result):
    out, _, lines = result
    table = bench.format_table(out)
    assert bench.HEADER in table and "1 held-out phantoms per problem, 16 px" in table
    assert lines == [bench.format_row(name, out["problems"][name]) for name in PROBLEMS]
    assert all(line in table for line in lines)
    deblur = out["problems"]["deblur"]
    assert f"{deblur['tv_psnr']:6.2f}/{deblur['tv_ssim']:.3f}" in lines[1] and "Wiener filter" in lines[1]
    assert f"GNC >= TV (mean PSNR) on {len(out['gnc_at_least_tv'])} of 2" in table


def test_bench_problems_passes_its_flags_and_prints_the_table(result, tmp_path, monkeypatch, capsys):
    calls = []

    def fake_run(json_path, **kwargs):
        calls.append((json_path, kwargs))
        return result[0]

    monkeypatch.setattr(bench, "run", fake_run)
    path = str(tmp_path / "p.json")
    assert cli.main(["bench", "problems", "--json", path, "--phantoms", "2", "--n-iter", "5", "--threads", "1"]) == 0
    (json_path, kwargs), = calls
    assert json_path == path and (kwargs["phantoms"], kwargs["n_iter"], kwargs["threads"]) == (2, 5, 1)
    assert bench.format_table(result[0]) in capsys.readouterr().out


def test_bench_problems_refuses_a_json_path_in_a_missing_folder_before_running(tmp_path, monkeypatch, capsys):
    def refuse(*args, **kwargs):
        raise AssertionError("the benchmark ran")

    monkeypatch.setattr(bench, "run", refuse)
    assert cli.main(["bench", "problems", "--json", str(tmp_path / "missing" / "p.json")]) == 2
    assert capsys.readouterr().err.startswith("error: cannot write")


@pytest.mark.parametrize("what", ["ct", "problems"])
def test_bench_refuses_weights_it_cannot_load_before_running(tmp_path, monkeypatch, capsys, what):
    from explorer.bench import ct as bench_ct

    def refuse(*args, **kwargs):
        raise AssertionError("the benchmark ran")

    monkeypatch.setattr(bench, "run", refuse)
    monkeypatch.setattr(bench_ct, "run", refuse)
    damaged = tmp_path / "prior.safetensors"
    damaged.write_bytes(b"not weights")
    for path in (tmp_path / "missing.safetensors", damaged):
        assert cli.main(["bench", what, "--weights", str(path)]) == 2
        err = capsys.readouterr().err.strip().splitlines()
        assert len(err) == 1 and err[0].startswith("error:"), err
