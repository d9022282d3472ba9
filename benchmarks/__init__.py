"""Benchmarks: emulator overhead and scaling, printed as ratios against floors measured in
the same run (never absolute timings asserted in tests)."""
