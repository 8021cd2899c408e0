"""Behaviour of individual things.

Mesa agents of the membrane world (protons, electron carriers, respiratory complexes, ATP synthases, leak
sites) and the token of the attention world's stream (driven by callbacks on SimPy events). Agents hold no
global state: everything they read or change belongs to the world (model) they were created in.
"""
