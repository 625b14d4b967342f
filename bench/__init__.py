"""Benchmarks (``make bench``): the portal against a minimal baseline app, same run, same machine.

Results are ratios against the baseline, never absolute promises; tests never assert on time.
"""
