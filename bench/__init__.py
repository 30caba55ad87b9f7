"""Benchmarks (``make bench`` → ``python -m bench``): performance as ratios measured side by side in one run."""
