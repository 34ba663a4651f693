"""The paper's 2D toy: a five-Gaussian prior under A = [[1, 1], [0, 0]] (closed form), a compiled backend for
grids of starts, and the basin / convergence-rate maps."""

from explorer.toy.problem import WINDOW, ToyProblem

__all__ = ["WINDOW", "ToyProblem"]
