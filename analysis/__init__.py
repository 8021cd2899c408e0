"""Pure functions over recorded data.

Traces and metric tables in, plain floats or new tables out: entropy, gradients, relaxation fits,
comparison, efficiency, Perfetto export, figures, report. Imports nothing from `world` except constants and
the trace schema.
"""
