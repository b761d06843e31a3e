"""Models of what the platforms artists post on do to an image, built from their reported behaviour.

Tests and benchmarks check omamori's output against these models; the host itself never imports them.
"""
