"""The attention world: a Markov source with a known entropy rate, a numpy attention LM trained by hand-written
backprop, and inference as a SimPy token stream over a networkx attention graph.

Modules: `markov` (the source and its exact entropy rate), `model` (forward, KV cache), `backward` (gradients
and loss), `optim` (Adam), `training` (the SimPy training process, held-out evaluation), `stream`
(`AttentionWorld`: token processes, head resources, the attention graph).
"""
