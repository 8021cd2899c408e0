"""Wiring and parameters, nothing else.

One module per scenario, each registering itself in `scenarios.registry`; the `gradient` command line
(`scenarios.cli`); the machinery that runs a scenario into an output directory (`scenarios.runner`).
"""
