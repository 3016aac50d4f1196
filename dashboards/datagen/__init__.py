"""Synthetic EX and CX data: the latent model, fast loading, and the benchmark generator."""
