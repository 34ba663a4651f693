"""The priors a reconstruction can name: the analytic Gaussian and the learned energy U-Net."""

from __future__ import annotations

from explorer.core.interfaces import Prior
from explorer.priors import weights
from explorer.priors.gaussian import ellipse_gaussian_prior
from explorer.priors.unet import NetworkPrior

PRIORS = ("gaussian", "network", "network-small")  # the names `load_prior` understands
# A distilled prior learned its teacher's score, so it takes the teacher's tuned weights where it has none.
DISTILLED_FROM = {"network-small": "network"}


def load_prior(name: str, n: int, weights_path: str | None = None, device: str = "cpu") -> Prior:
    """The prior called `name` for n x n images, its tensors on `device`.

    Parameters
    ----------
    name : {"gaussian", "network", "network-small"}
        "gaussian": the analytic prior fitted to 256 training ellipses of side n; "network": the energy U-Net;
        "network-small": the smaller energy U-Net distilled from it.
    n : int
        Image side in pixels.
    weights_path : str, optional
        Weights file of the network (default: the shipped one), loaded once per process and device.
    device : str
        "cpu", "cuda", ...: where the prior's parameters live (the images it is given must be there too).

    Raises
    ------
    explorer.priors.weights.WeightsError
        The network's file is missing or broken.
    """
    if name == "gaussian":
        return ellipse_gaussian_prior(n).to(device)
    if name == "network":
        # DEFAULT_WEIGHTS is read at call time, so a process (or a test) can point it elsewhere first.
        return NetworkPrior(weights.cached_model(weights_path or weights.DEFAULT_WEIGHTS, device))
    if name == "network-small":
        return NetworkPrior(weights.cached_model(weights_path or weights.SHIPPED_SMALL_WEIGHTS, device))
    raise ValueError(f"unknown prior {name!r}; choose one of {', '.join(PRIORS)}")


def default_prior_name() -> str:
    """"network" when the shipped weights load, else "gaussian"."""
    try:
        load_prior("network", 64)
    except weights.WeightsError:
        return "gaussian"
    return "network"
