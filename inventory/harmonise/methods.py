"""Laboratory-method harmonisation of SOC concentrations to dry-combustion organic carbon.

Every submitted SOC value carries ``soc_method`` (``inventory.core.vocab.SOC_METHODS``). Values
are converted to the dry-combustion equivalent with one multiplicative factor per method; the
factor and whether a conversion happened are recorded per row (``method_factor``,
``method_converted``). Factors are configurable per submission through :class:`MethodOptions`
(``method_options`` of ``inventory.harmonise.profiles.harmonise_profiles``).

Cited factors
-------------
* Walkley-Black wet oxidation recovers only part of the organic carbon. Walkley & Black (1934),
  Soil Sci. 37:29-38, found about 77 % recovery (factor 1/0.77 = 1.30; Grewal et al. 1991,
  J. Soil Sci. 42:251-257, doi:10.1111/j.1365-2389.1991.tb00406.x, quote 1.32 as the original
  recommendation and find 1.25 in New Zealand soils). The conventional correction is 1.33
  (75 % recovery; Nelson & Sommers 1996, Methods of Soil Analysis Part 3, SSSA Book Series 5,
  Ch. 34); Duh & Huang (2017, Taiwan J. For. Sci., 562 forest soils) measured 75.6 % on average.
  Default here: 1.33; option ``walkley_black_factor``.
* Organic matter (loss on ignition or a reported "organic matter") to organic carbon: the
  conventional "van Bemmelen" factor assumes 58 % C in organic matter (OM = 1.724 x OC; e.g.
  INSPIRE soil code list ``organicCarbonContent``, citing NRCS Soil Survey Investigations
  Report 45, 2011, p. 247). Pribyl (2010), Geoderma 156:75-83, doi:10.1016/j.geoderma.2010.02.003,
  shows 1.724 is too low for most soils and recommends a factor of 2 (50 % C). Default 0.58;
  option ``organic_carbon_fraction`` (e.g. 0.5).
* Total carbon includes carbonate carbon and is accepted only when the submitter declares the
  soils inorganic-carbon free (``total_carbon_inorganic_free=True``, factor 1); otherwise the
  rows are refused with :class:`MethodError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

import numpy as np
import pandas as pd

from inventory.core import vocab
from inventory.core.errors import UserError
from inventory.core.failures import FAILURE_COLUMNS

WALKLEY_BLACK_FACTOR = 1.33  # Nelson & Sommers (1996): 75 % mean recovery of dry-combustion C
WALKLEY_BLACK_1934_FACTOR = 1 / 0.77  # Walkley & Black (1934): 77 % recovery
VAN_BEMMELEN_FRACTION = 0.58  # 58 % C in organic matter (OM = 1.724 x OC)


class MethodError(UserError, ValueError):
    """SOC rows whose method cannot be converted; ``errors`` holds one row per offending row."""

    def __init__(self, errors: pd.DataFrame):
        self.errors = errors
        super().__init__(f"{len(errors)} SOC row(s) refused: {errors['message'].iloc[0]}")


@dataclass(frozen=True)
class MethodOptions:
    """Per-submission method factors (see the module docstring for their sources).

    Attributes
    ----------
    walkley_black_factor : float, default 1.33
        Dry-combustion C / Walkley-Black C [-]; accepted range 1-2.
    organic_carbon_fraction : float, default 0.58
        Organic C / organic matter [g g-1]; accepted range 0.3-0.7.
    total_carbon_inorganic_free : bool, default False
        The submitter declares total C contains no carbonate C.
    """

    walkley_black_factor: float = WALKLEY_BLACK_FACTOR
    organic_carbon_fraction: float = VAN_BEMMELEN_FRACTION
    total_carbon_inorganic_free: bool = False

    @classmethod
    def from_mapping(cls, options: Mapping[str, object] | None) -> MethodOptions:
        """Build from a submission's ``method_options``; unknown keys are an error."""
        options = dict(options or {})
        known = {f.name for f in fields(cls)}
        unknown = sorted(set(options) - known)
        if unknown:
            raise ValueError(f"unknown method option(s) {unknown}; known: {sorted(known)}")
        made = cls(**options)  # type: ignore[arg-type]
        if not isinstance(made.total_carbon_inorganic_free, bool):
            raise ValueError("total_carbon_inorganic_free must be true or false")
        if not 1.0 <= made.walkley_black_factor <= 2.0:
            raise ValueError(f"walkley_black_factor {made.walkley_black_factor} not in [1, 2]")
        if not 0.3 <= made.organic_carbon_fraction <= 0.7:
            raise ValueError(
                f"organic_carbon_fraction {made.organic_carbon_fraction} not in [0.3, 0.7]"
            )
        return made


def method_factors(options: MethodOptions | None = None) -> dict[str, float]:
    """Factor [-] converting a value of each laboratory method to dry-combustion SOC.

    Parameters
    ----------
    options : MethodOptions, optional
        Per-submission factors (defaults: Walkley-Black 1.33, organic C fraction 0.58).

    Returns
    -------
    dict of str to float
        ``dry_combustion`` 1, ``walkley_black`` ``walkley_black_factor``,
        ``loss_on_ignition`` and ``organic_matter`` ``organic_carbon_fraction``. Total carbon
        has a factor (1) only when declared inorganic-free; otherwise it is absent.

    Notes
    -----
    Walkley-Black wet oxidation recovers about 75 % of the organic carbon: default factor
    1.33 [2]_ (77 % recovery, 1/0.77 = 1.30, in [1]_). Organic matter (loss on ignition or a
    reported "organic matter") to organic carbon: the conventional "van Bemmelen" fraction
    0.58 (OM = 1.724 x OC); [3]_ shows 1.724 is too low for most soils and recommends 0.5.

    References
    ----------
    .. [1] Walkley, A. and Black, I.A. (1934). Soil Sci. 37, 29-38.
    .. [2] Nelson, D.W. and Sommers, L.E. (1996). Total carbon, organic carbon, and organic
       matter. In: Methods of Soil Analysis Part 3, SSSA Book Series 5, Ch. 34.
    .. [3] Pribyl, D.W. (2010). A critical review of the conventional SOC to SOM conversion
       factor. Geoderma 156, 75-83, doi:10.1016/j.geoderma.2010.02.003.
    """
    opts = options or MethodOptions()
    factors = {
        "dry_combustion": 1.0,
        "walkley_black": opts.walkley_black_factor,
        "loss_on_ignition": opts.organic_carbon_fraction,
        "organic_matter": opts.organic_carbon_fraction,
    }
    if opts.total_carbon_inorganic_free:
        factors["total_carbon"] = 1.0
    return factors


def dry_combustion_soc(
    soc_g_per_kg: np.ndarray | pd.Series,
    soc_method: pd.Series,
    options: MethodOptions | None = None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Dry-combustion-equivalent SOC [g kg-1] from values measured by ``soc_method``.

    Parameters
    ----------
    soc_g_per_kg : numpy.ndarray or pandas.Series
        Measured value [g kg-1] (organic C, or organic matter for the loss-on-ignition and
        organic-matter methods).
    soc_method : pandas.Series
        Method codes (``vocab.SOC_METHODS``, normalised lower_snake); its index is reported as
        the row number of refused rows.
    options : MethodOptions, optional
        Per-submission factors (:func:`method_factors`).

    Returns
    -------
    soc : numpy.ndarray
        SOC [g kg-1], dry-combustion equivalent.
    factor : numpy.ndarray
        Factor applied per row [-].
    converted : numpy.ndarray of bool
        True where the method is not dry combustion (also when its factor is 1, e.g. total
        carbon declared inorganic-free).

    Raises
    ------
    MethodError
        For total-carbon rows (not declared inorganic-free) and unknown or missing methods,
        all collected into one table.

    Notes
    -----
    SOC_dc = value x factor(method), with the factors of :func:`method_factors`:
    Walkley-Black x 1.33 by default ([1]_, [2]_), loss on ignition / organic matter x 0.58
    (van Bemmelen; 0.5 per [3]_), dry combustion and declared inorganic-free total carbon x 1.

    References
    ----------
    .. [1] Walkley and Black (1934) (in full: :func:`method_factors`).
    .. [2] Nelson and Sommers (1996), Methods of Soil Analysis Part 3, Ch. 34.
    .. [3] Pribyl (2010), Geoderma 156, 75-83.
    """
    factors = method_factors(options)
    methods = pd.Series(soc_method, copy=False)  # its index is reported as the row number
    factor = methods.map(factors).astype("float64").to_numpy()
    _raise_refused(methods, np.isnan(factor))
    values = np.asarray(soc_g_per_kg, dtype="float64")
    return values * factor, factor, (methods != "dry_combustion").to_numpy()


def _raise_refused(methods: pd.Series, refused: np.ndarray) -> None:
    if not refused.any():
        return
    bad = methods[refused]
    total = (bad == "total_carbon").to_numpy()
    message = np.where(
        total,
        "total carbon includes carbonate carbon; it cannot be used as organic carbon",
        "unknown or missing SOC method",
    )
    fix = np.where(
        total,
        "submit organic C (e.g. dry combustion after acid pre-treatment), or declare the soils "
        "inorganic-carbon free (method option total_carbon_inorganic_free: true)",
        f"use one of {', '.join(vocab.SOC_METHODS)}",
    )
    errors = pd.DataFrame(
        {
            "file": "profiles",
            "row": bad.index.to_numpy(),
            "column": "soc_method",
            "value": bad.to_numpy(),
            "rule_id": np.where(total, "total_carbon_refused", "unknown_soc_method"),
            "message": message,
            "fix": fix,
        },
        columns=FAILURE_COLUMNS,
    )
    raise MethodError(errors)
