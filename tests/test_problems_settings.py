"""The reconstruction problem beyond CT: ProblemSettings names any problem of the catalogue, CT stays the default
and unchanged, operator parameters resolve to the catalogue's defaults and are checked, every problem builds,
reconstructs and has a TV baseline, and the "fbp" start is the "reference" start under its older name."""

from __future__ import annotations

import math

import pytest
import torch

from explorer import ct
from explorer.ct.compare import references
from explorer.ct.tv import _gradient
from explorer.imaging.noise import add_relative_noise
from explorer.imaging.phantoms import random_ellipses
from explorer.problems import PROBLEMS
from explorer.problems.fbp import fbp
from explorer.problems.operators import Inpainting
from explorer.problems.tomography import parallel_beam

N = 16  # small images: every problem builds and runs in well under a second


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    """One compute thread: on 16 x 16 images a second thread only adds waiting (seconds on a busy machine)."""
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(previous)


@pytest.fixture(scope="module")
def prior():
    return ct.load_prior("gaussian", N)


def test_ct_is_the_default_and_its_data_are_a_plain_parallel_beam_computation():
    settings = ct.ProblemSettings(n=N)
    assert settings.problem == "ct" and settings.operator_params() == {"n_angles": 30}
    assert settings.angles_used == 30 and settings.reference_name == "FBP"
    model = ct.forward_model(settings)
    x = random_ellipses(N, torch.Generator().manual_seed(ct.HELD_OUT_SEED))[None, None]
    operator = parallel_beam(N, 30)
    y = add_relative_noise(operator.A(x), 0.05, torch.Generator().manual_seed(0))
    assert torch.equal(model.truth, x) and torch.equal(model.y, y)
    assert torch.equal(model.reference, fbp(operator, y, "ramp"))
    assert model.fbp is model.reference and model.fbp_psnr == model.reference_psnr
    assert model.reference_name == "FBP"


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_every_problem_builds_and_reconstructs(name, prior):
    settings = ct.ProblemSettings(problem=name, n=N, prior="gaussian")
    problem = ct.make_problem(settings, prior)
    kind = PROBLEMS[name]
    assert problem.reference_name == kind.reference_name
    assert problem.operator.scale == pytest.approx(problem.operator.base.norm())
    assert problem.reference.shape == problem.truth.shape == (1, 1, N, N)
    solver = ct.SolverSettings(n_iter=5, inits=("zeros", "reference", "noise"))
    run = ct.reconstruct(problem, ct.initialisations(solver.inits, problem), solver)
    assert run.status == "finished" and run.final.shape == (3, 1, N, N)
    assert torch.isfinite(run.final).all()
    start_psnr = ct.quality(torch.zeros(1, 1, N, N), problem.truth)[0][0]
    assert ct.quality(run.final, problem.truth)[0][0] > start_psnr  # the zero start improves


def test_operator_parameters_resolve_to_the_catalogues_defaults_or_the_set_values():
    assert ct.ProblemSettings(problem="sparse-ct").operator_params() == {"n_angles": 15}
    assert ct.ProblemSettings(problem="limited-angle").operator_params() == {"n_angles": 60, "angle_range": 120.0}
    assert ct.ProblemSettings(problem="deblur", sigma=2.0).operator_params() == {"sigma": 2.0}
    assert ct.ProblemSettings(problem="inpaint").operator_params() == {"keep": 0.3, "mask": "random", "mask_seed": 0}
    assert ct.ProblemSettings(problem="superres", factor=4).operator_params() == {"factor": 4}
    assert ct.ProblemSettings(problem="denoise").operator_params() == {}
    assert ct.ProblemSettings(problem="deblur").angles_used is None


def test_the_angle_range_is_in_degrees():
    model = ct.forward_model(ct.ProblemSettings(problem="limited-angle", n=N, n_angles=10, angle_range=90))
    angles = model.operator.angles
    assert angles.numel() == 10 and math.degrees(float(angles[1] - angles[0])) == pytest.approx(9.0)


def test_the_box_mask_hides_a_centred_square_of_about_one_minus_keep():
    model = ct.forward_model(ct.ProblemSettings(problem="inpaint", n=N, keep=0.75, mask="box"))
    assert torch.equal(model.operator.mask, Inpainting.box_mask(N, 8).mask)  # 16 * sqrt(0.25) = 8
    random = ct.forward_model(ct.ProblemSettings(problem="inpaint", n=N, mask_seed=3)).operator.mask
    assert torch.equal(random, Inpainting.random_mask(N, 0.3, 3).mask)


@pytest.mark.parametrize("values, message", [
    ({"problem": "mri"}, "unknown problem 'mri'; choose one of ct, sparse-ct"),
    ({"problem": "ct", "sigma": 1.0}, "problem 'ct' takes no parameter sigma"),
    ({"problem": "denoise", "n_angles": 10}, "problem 'denoise' takes no parameter n_angles"),
    ({"problem": "deblur", "keep": 0.5}, "problem 'deblur' takes no parameter keep"),
    ({"problem": "ct", "n_angles": 0}, "need at least one angle"),
    ({"problem": "limited-angle", "angle_range": 181.0}, r"angle_range must lie in \(0, 180\]"),
    ({"problem": "limited-angle", "angle_range": 0.0}, r"angle_range must lie in \(0, 180\]"),
    ({"problem": "deblur", "sigma": 0.0}, r"sigma must lie in \(0, 8\] pixels"),
    ({"problem": "deblur", "sigma": 50.0}, r"sigma must lie in \(0, 8\] pixels"),
    ({"problem": "inpaint", "keep": 0.0}, r"keep must lie in \(0, 1\]"),
    ({"problem": "inpaint", "keep": 1.5}, r"keep must lie in \(0, 1\]"),
    ({"problem": "inpaint", "mask": "stripes"}, "unknown mask 'stripes'; choose one of random, box"),
    ({"problem": "superres", "factor": 3}, "factor must be one of 2, 4"),
    ({"problem": "superres", "factor": 4, "n": 18}, "factor 4 must divide the image side n = 18"),
])
def test_bad_operator_parameters_are_refused_with_a_message(values, message):
    with pytest.raises(ValueError, match=message):
        ct.ProblemSettings(**values)


@pytest.mark.parametrize("name", ["ct", "deblur"])
def test_the_fbp_start_is_the_reference_start(name, prior):
    problem = ct.make_problem(ct.ProblemSettings(problem=name, n=N, prior="gaussian"), prior)
    x0 = ct.initialisations(("reference", "fbp"), problem)
    assert torch.equal(x0[0], x0[1]) and torch.equal(x0[0], problem.reference[0])
    assert problem.fbp is problem.reference


@pytest.mark.parametrize("name", sorted(PROBLEMS))
def test_to_dict_reports_the_resolved_parameters_and_round_trips(name):
    settings = ct.CTSettings(ct.ProblemSettings(problem=name, n=N), ct.SolverSettings(inits=("zeros", "reference")))
    d = settings.to_dict()
    params = settings.problem.operator_params()
    assert d["problem"]["problem"] == name and d["problem"]["operator_params"] == params
    assert all(d["problem"][key] == value for key, value in params.items())
    assert d["problem"]["reference_name"] == PROBLEMS[name].reference_name
    again = ct.settings_from(d["problem"] | d["solver"])
    assert again.to_dict() == d
    assert torch.equal(ct.forward_model(again.problem).y, ct.forward_model(settings.problem).y)


@pytest.mark.parametrize("name", ["deblur", "inpaint", "superres"])
def test_tv_lowers_its_objective_below_the_reference_on_any_operator(name, prior):
    """Chambolle-Pock uses only A~, A~^T and ||A~|| = 1, so it solves the TV problem of every operator."""
    problem = ct.make_problem(ct.ProblemSettings(problem=name, n=N, prior="gaussian"), prior)
    lam = problem.settings.tv_weight

    def energy(x):
        x = x.to(torch.float64)
        r = problem.operator.A(x) - problem.y.to(torch.float64)
        return float(0.5 * (r * r).sum() + lam * _gradient(x).pow(2).sum(1).sqrt().sum())

    tv = ct.tv_reconstruction(problem)
    assert tv.objective == pytest.approx(energy(tv.image), rel=1e-5)
    assert tv.objective < energy(problem.reference.clamp(0, 1))
    refs = references(problem)
    assert set(refs.psnr) == {problem.reference_name, "TV"} and refs.reference_name == problem.reference_name
