"""CT: the parallel-beam operator, FBP, the reconstruction problem, its TV baseline and live sessions.

`from explorer import ct` gives the problem-level API below; the operator, FBP and sessions are modules.
"""

from explorer.ct.problem import (ALPHA, FIXED_STEP, HELD_OUT_SEED, INITS, PHANTOMS, PRIORS,
                                 TUNING_SEEDS, TV_LAMBDA, CTConfig, CTProblem, NormalisedOperator, PriorWeight,
                                 TVResult, default_prior_name, initialisations, load_prior, make_phantom,
                                 make_problem, normalised_operator, quality, reconstruct, trajectory_quality,
                                 tune_alpha, tv_reconstruction)
