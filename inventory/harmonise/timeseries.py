"""Gap filling of the harmonised area datasets (IPCC 2006 Vol.1 Ch.5), with ``area_source``.

``land_areas`` and ``organic_soils`` reported for some years only become annual series over the
declared years, by the method ``submission.yaml`` declares per dataset
(:mod:`inventory.intake.time_series`; the algorithm is :mod:`inventory.core.timeseries`, the
same one validation applied before accepting the package). Every row carries ``area_source``:
``reported`` for submitted values, else how the value was filled (interpolated,
extrapolated_constant, extrapolated_trend, surrogate, overlap). Complete annual data come out
unchanged, all ``reported``.
"""

from __future__ import annotations

import pandas as pd

from inventory.core import timeseries, vocab
from inventory.intake.time_series import FILLED_DATASETS, time_series_config
from inventory.validation.time_series import FILL_KEYS, fill_span, series_rows


def fill_gaps(
    frames: dict[str, pd.DataFrame], manifest: dict | None, series: pd.DataFrame | None = None
) -> dict[str, pd.DataFrame]:
    """The harmonised ``land_areas`` / ``organic_soils`` of ``frames`` as annual, flagged series.

    Parameters
    ----------
    frames : dict of str to pandas.DataFrame
        Harmonised datasets of one country (``country``, ``year`` [yr], stratum keys,
        ``area_ha`` [ha]); other datasets are returned as they are.
    manifest : dict or None
        The accepted ``submission.yaml`` (declared years and the ``time_series`` section).
    series : pandas.DataFrame, optional
        The submission's ``auxiliary_series`` (series, year, land_use, climate_zone, value).

    Returns
    -------
    dict of str to pandas.DataFrame
        ``frames`` with the filled datasets replaced: every stratum and year of the declared
        years (widened to the data), ``area_source`` added, sorted by year and stratum.
    """
    config = time_series_config(manifest)
    out = dict(frames)
    for dataset in FILLED_DATASETS:
        frame = frames.get(dataset)
        span = fill_span(frame, manifest or {}) if frame is not None else None
        if frame is None or span is None:
            if frame is not None:
                out[dataset] = frame.assign(area_source=timeseries.REPORTED)
            continue
        keys = ["country", *FILL_KEYS[dataset]]
        method = config.method(dataset)
        uncertainty = frame.columns.intersection([vocab.AREA_UNCERTAINTY]).tolist()
        filled = timeseries.fill_series(
            frame.drop(columns=uncertainty),
            keys=keys,
            span=span,
            method=method,
            series=series_rows(series, method.series),
        )
        if uncertainty:  # one value per stratum: filled years take their stratum's
            per_stratum = frame[[*keys, *uncertainty]].drop_duplicates(keys)
            filled = filled.merge(per_stratum, on=keys, how="left", validate="many_to_one")
        columns = [*frame.columns, "area_source"]
        out[dataset] = filled[columns].sort_values(["year", *keys], ignore_index=True)
    return out
