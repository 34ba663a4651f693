"""Reconstruction: the problem (CT by default, or any other of explorer.problems), its TV baseline, comparisons
and live sessions.

`from explorer import ct` gives the problem-level API below; the operator, FBP, exports and sessions are modules.
"""

from explorer.ct.compare import Comparison, References, compare_methods, references
from explorer.ct.problem import (HELD_OUT_SEED, INITS, OPERATOR_PARAMS, PHANTOMS, CTProblem, CTSettings, ForwardModel,
                                 NormalisedOperator, PriorWeight, ProblemSettings, SolverSettings, forward_model,
                                 initialisations, make_phantom, make_problem, normalised_operator, quality,
                                 reconstruct, settings_from, trajectory_quality)
from explorer.ct.defaults import ALPHA, FIXED_STEP, TUNING_SEEDS, TV_LAMBDA, default_step_size
from explorer.ct.tuning import tune_alpha
from explorer.ct.tv import TVResult, tv_reconstruction
from explorer.priors.catalog import PRIORS, default_prior_name, load_prior

__all__ = [
    "ALPHA", "FIXED_STEP", "HELD_OUT_SEED", "INITS", "OPERATOR_PARAMS", "PHANTOMS", "PRIORS", "TUNING_SEEDS",
    "TV_LAMBDA",
    "CTProblem", "CTSettings", "Comparison", "ForwardModel", "NormalisedOperator", "PriorWeight", "ProblemSettings",
    "References", "SolverSettings", "TVResult",
    "compare_methods", "default_prior_name", "default_step_size", "forward_model", "initialisations", "load_prior",
    "make_phantom", "make_problem", "normalised_operator", "quality", "reconstruct", "references", "settings_from",
    "trajectory_quality", "tune_alpha", "tv_reconstruction",
]
