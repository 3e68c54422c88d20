"""Benchmarks: each module here with a ``main()`` prints figures and writes JSON to bench/results/."""
