"""The CT page's widget state and tables without a server: URL parameters to widgets and back, and the rows."""

from __future__ import annotations

from dataclasses import fields, replace

import numpy as np
import pytest

from explorer import ct
from explorer.app.ct_tables import comparison_frame, results_frame
from explorer.app.ct_widgets import TAB_LABELS, params_from_widgets, seed_widgets, widget_key
from explorer.app.urlstate import CTParams
from explorer.core.registry import METHODS
from explorer.ct import session as ct_session


def test_seeded_widgets_read_back_to_the_parameters():
    parsed = replace(CTParams(), tab="reconstruction", n_angles=12, inits=("fbp", "zeros"), prior="gaussian")
    state: dict = {}
    seed_widgets(state, parsed, ["network", "gaussian"])
    assert set(state) == {widget_key(f.name) for f in fields(CTParams)}
    assert state["ct_tab"] == TAB_LABELS["reconstruction"] and state["ct_inits"] == ["fbp", "zeros"]
    assert params_from_widgets(state, CTParams()) == parsed
    # A widget the user changed wins; one without state keeps what the URL said.
    state["ct_n_iter"] = 33
    del state["ct_method"]
    assert params_from_widgets(state, replace(parsed, method="gd")) == replace(parsed, n_iter=33, method="gd")


def test_existing_widget_state_is_kept_an_unusable_prior_gives_way_and_no_start_means_zeros():
    state = {"ct_n": 128}
    seed_widgets(state, CTParams(), ["gaussian"])
    assert state["ct_n"] == 128 and state["ct_prior"] == "gaussian"
    state["ct_inits"] = []
    assert params_from_widgets(state, CTParams()).inits == ("zeros",)


@pytest.fixture(scope="module")
def run_and_refs():
    problem = ct.make_problem(ct.ProblemSettings(n=32, n_angles=12, prior="gaussian"), ct.load_prior("gaussian", 32))
    solver = ct.SolverSettings(n_iter=4, inits=("zeros", "fbp"))
    x0 = ct.initialisations(solver.inits, problem)
    run = ct_session.run_to_end(ct_session.start_run(problem, x0, solver, ("zeros", "FBP")))
    return run, ct.references(problem), ct.compare_methods(problem, x0, solver)


def test_the_results_table_names_methods_by_their_registry_labels(run_and_refs):
    run, refs, compared = run_and_refs
    table = results_frame(run, refs, compared)
    assert list(table.columns) == ["method", "start", "PSNR (dB)", "SSIM"]
    assert list(table["method"]) == [METHODS["gnc"].label] * 2 + [METHODS["gnc"].label + " (compare)"] * 2 + [
        METHODS["gd"].label + " (compare)"] * 2 + ["FBP (ramp filter)", "TV, isotropic, Chambolle-Pock"]
    assert table["PSNR (dB)"].iloc[-1] == refs.psnr["TV"]
    assert len(results_frame(run, refs)) == 4
    frame = comparison_frame(compared, run.names)
    assert list(frame.index) == [METHODS["gnc"].label, METHODS["gd"].label]
    assert list(frame.columns) == ["zeros", "FBP", "spread over starts (dB)"]
    np.testing.assert_allclose(frame["spread over starts (dB)"], [compared.spread("gnc"), compared.spread("gd")])
