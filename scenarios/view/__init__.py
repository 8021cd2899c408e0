"""The live view: Mesa SolaraViz pages for the membrane, the attention stream and both coupled (`gradient view`).

Modules: `frames` (the frame clock, the perturbation queue and bounded series every page model shares),
`membrane_model`, `attention_model`, `coupled_model` (thin ``mesa.Model`` adapters that SolaraViz steps and
rebuilds), `draw` (cheap figures: images and ECharts options), `panels` (the parts of a page: clock, readouts, controls,
figures), `pages` (the Solara page components and routes),
`server` (serves the pages on 127.0.0.1).

Importing this package imports nothing heavy: solara is imported only by `pages` and `server`.
"""
