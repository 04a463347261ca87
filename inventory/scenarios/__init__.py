"""Practice scenarios toward 4 per 1000: projected areas through the inventory's own engine.

``model`` (the scenario file and its checks), ``projection`` (projected areas in DuckDB),
``compute`` (pathways, measures, adoption, Monte Carlo with the inventory's draws), ``base``
(one country of a published release), ``maps`` (gains on a submitted stock map) and ``run``
(compute and publish beside the inventory). This package reads releases and uses the engine;
the engine never imports it (layer contract in pyproject.toml).
"""
