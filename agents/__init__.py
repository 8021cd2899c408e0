"""Behaviour of individual things.

Mesa agents of the membrane world (protons, electron carriers, respiratory complexes, ATP synthases, leak
sites) and the SimPy token process of the attention world. Agents hold no global state: everything they read
or change belongs to the world (model) they were created in.
"""
