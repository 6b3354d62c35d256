"""Made-up data: one network generator (places.py, network.py) drawn from a seed,
told as the demo's stories (`flask demo`, loading.py) or as years of history in
bulk for the benchmarks (history.py)."""
