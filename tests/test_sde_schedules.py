import math

import pytest
import torch

from explorer.core import schedules
from explorer.core.sde import VESDE, VPSDE


def test_vp_sde_is_variance_preserving():
    sde = VPSDE()
    t = torch.linspace(1e-3, 1, 50, dtype=torch.float64)
    assert torch.allclose(sde.m(t) ** 2 + sde.s(t) ** 2, torch.ones_like(t))
    assert float(sde.m(1.0)) < 0.01 and float(sde.m(0.0)) == 1.0
    expected = math.exp(-0.25 * 0.25 * (20 - 0.1) - 0.5 * 0.5 * 0.1)
    assert float(sde.m(0.5)) == pytest.approx(expected)


def test_ve_sde_variance_closed_form():
    sde = VESDE(10.0)
    for t in (1e-3, 0.5, 1.0, 2.0):
        assert float(sde.variance(t)) == pytest.approx((100**t - 1) / (2 * math.log(10)))
    assert float(sde.m(0.3)) == 1.0


@pytest.mark.parametrize("name", list(schedules.SCHEDULES))
@pytest.mark.parametrize("t_max,t_min,n", [(10.0, 1e-3, 1300), (1.0, 1e-3, 200), (0.5, 0.01, 2)])
def test_schedules_are_monotone_with_the_right_ends(name, t_max, t_min, n):
    ts = schedules.make(name, t_max, t_min, n)
    assert ts.dtype == torch.float64 and ts.shape == (n,)
    assert torch.all(ts[1:] <= ts[:-1] + 1e-15)
    assert float(ts[-1]) == pytest.approx(t_min)
    if name != "constant":
        assert float(ts[0]) == pytest.approx(t_max)


def test_geometric_is_log_spaced():
    ts = schedules.geometric(1.0, 1e-3, 4)
    assert torch.allclose(ts, torch.tensor([1.0, 0.1, 0.01, 0.001], dtype=torch.float64))


@pytest.mark.parametrize("args", [(1e-3, 1.0, 10), (1.0, 0.0, 10), (1.0, 1e-3, 0), (math.nan, 1e-3, 5)])
def test_bad_schedules_raise_clear_errors(args):
    with pytest.raises(ValueError):
        schedules.linear(*args)


def test_unknown_schedule_names_the_choices():
    with pytest.raises(ValueError, match="linear"):
        schedules.make("spiral", 1.0, 1e-3, 10)
