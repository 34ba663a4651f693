"""Priors: the analytic Gaussian, the energy U-Net with its training, weights, samplers and model card."""
