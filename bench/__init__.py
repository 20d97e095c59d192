"""The feed benchmark: a generated archive, a hand-written SQL baseline, and a load runner.

`python -m bench.run` (or `make bench`) runs it end to end and rewrites bench/RESULTS.md.
"""
