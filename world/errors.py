"""The project's exceptions.

Key names: `SimulationError` (base class for errors raised while a simulation runs), `ClockError` (time went
backwards). Bad arguments raise the built-in `ValueError` naming the value and what is allowed.
"""


class SimulationError(Exception):
    """Base class for errors raised by a running simulation."""


class ClockError(SimulationError):
    """An event was stamped earlier than one already recorded: the clock never goes back."""
