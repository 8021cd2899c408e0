"""State, space, clock and trace.

The shared clock (`world.clock.Run`: one SimPy environment, one numpy Generator, the recorders), the trace
and metrics recorders (`world.trace`), physical constants (`world.constants`), the membrane world (a
`mesa.Model`) and the attention world (`world.attention`: Markov source, numpy model, training, token stream).
"""
