"""Set-based consistency checks GX has no expectation for (pandas, vectorised).

Each check takes prepared frames (index = spreadsheet row number, canonical codes, numeric
columns, derived ``area_ha``) and returns the offending rows as failures; empty = pass
(invariants written as frame operations rather than SQL because the frames are already in
memory and have row numbers).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from inventory.core import vocab
from inventory.core.failures import failure_frame

# Approach 2/3 land units partition the country, so their total area is constant over years;
# 0.5 % allows rounding of unit areas in national GIS exports.
LAND_UNITS_AREA_TOLERANCE = 0.005
# Organic-soil areas may exceed the land area by rounding only (0.1 %).
ORGANIC_AREA_TOLERANCE = 0.001
DUPLICATE_KEYS = {
    "land_areas": ("year", *vocab.STRATUM_KEYS),
    "land_units": ("unit_id", "year"),
    "organic_soils": ("year", "climate_zone", "land_use", "drainage", "nutrient_status",
                      "drainage_depth"),
    "factors": ("factor", "climate_zone", "soil_class", "land_use", "level"),
    "land_use_changes": ("year", "climate_zone", "soil_class", "from_land_use",
                         "from_management", "from_input", "to_land_use", "to_management",
                         "to_input"),
    "auxiliary_series": ("series", "year", "land_use", "climate_zone"),
    "national_totals": ("year", "category", "gas"),
}  # fmt: skip
DUPLICATE_RULE = {
    "land_areas": "duplicate_stratum_year",
    "land_units": "duplicate_unit_year",
    "organic_soils": "duplicate_stratum_year",
    "factors": "duplicate_factor",
    "land_use_changes": "duplicate_matrix_cell",
    "auxiliary_series": "duplicate_series_year",
    "national_totals": "duplicate_category_year",
}


def _rows(frame: pd.DataFrame, mask: pd.Series | np.ndarray, file: str, column: str | None,
          values: pd.Series | list, rule_id: str,
          message: str | pd.Series | list | np.ndarray,
          fix: str) -> pd.DataFrame:  # fmt: skip
    index = frame.index[np.asarray(mask, dtype=bool)]
    return failure_frame(pd.DataFrame({
        "file": file, "row": np.asarray(index, dtype="int64"), "column": column,
        "value": np.asarray(values, dtype=object), "rule_id": rule_id,
        "message": np.asarray(message, dtype=object) if not isinstance(message, str) else message,
        "fix": fix}))  # fmt: skip


def duplicates(name: str, frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Rows repeating the key of an earlier row (the first occurrence is not reported)."""
    keys = [k for k in DUPLICATE_KEYS.get(name, ()) if k in frame.columns]
    if not keys or frame.empty:
        return failure_frame()
    key = frame[keys].astype("str").fillna("")
    repeated = key.duplicated(keep="first")
    if not repeated.any():
        return failure_frame()
    first_row = pd.Series(frame.index, index=frame.index).groupby(
        [key[k] for k in keys], sort=False, dropna=False).transform("first")  # fmt: skip
    shown = key[repeated].agg("/".join, axis=1)
    message = "the same " + "/".join(keys) + " as row " + first_row[repeated].astype("str")
    return _rows(
        frame,
        repeated,
        file,
        keys[0],
        shown,
        DUPLICATE_RULE[name],
        message.to_numpy(),
        "report each combination once: add the areas together or remove the copy",
    )


def management_for_land_use(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Management codes that do not belong to the row's land use (vocab.MANAGEMENT_BY_LAND_USE)."""
    if not {"land_use", "management"} <= set(frame.columns) or frame.empty:
        return failure_frame()
    allowed = {lu: set(vocab.MANAGEMENT_BY_LAND_USE.get(lu, (vocab.NOT_APPLICABLE,)))
               for lu in vocab.LAND_USES}  # fmt: skip
    pairs = frame[["land_use", "management"]].astype("str")
    known = pairs["land_use"].isin(vocab.LAND_USES) & pairs["management"].isin(vocab.MANAGEMENTS)
    ok_pairs = {(lu, mg) for lu, mgs in allowed.items() for mg in mgs}
    combo = pairs["land_use"] + "|" + pairs["management"]
    bad = known & ~combo.isin({f"{lu}|{mg}" for lu, mg in ok_pairs})
    if not bad.any():
        return failure_frame()
    uses = pairs.loc[bad, "land_use"]
    message = "management " + pairs.loc[bad, "management"] + " does not apply to " + uses
    fixes = {lu: "use one of: " + ", ".join(sorted(allowed[lu])) for lu in pd.unique(uses)}
    out = _rows(
        frame,
        bad,
        file,
        "management",
        pairs.loc[bad, "management"],
        "management_land_use_mismatch",
        message.to_numpy(),
        "",
    )
    out["fix"] = uses.map(fixes).to_numpy()
    return out


def input_for_land_use(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Carbon input levels that do not exist for the row's land use (vocab.INPUT_BY_LAND_USE)."""
    if not {"land_use", "input"} <= set(frame.columns) or frame.empty:
        return failure_frame()
    allowed = {lu: set(vocab.INPUT_BY_LAND_USE.get(lu, (vocab.NOT_APPLICABLE,)))
               for lu in vocab.LAND_USES}  # fmt: skip
    pairs = frame[["land_use", "input"]].astype("str")
    known = pairs["land_use"].isin(vocab.LAND_USES) & pairs["input"].isin(vocab.INPUTS)
    combo = pairs["land_use"] + "|" + pairs["input"]
    bad = known & ~combo.isin({f"{lu}|{i}" for lu, levels in allowed.items() for i in levels})
    if not bad.any():
        return failure_frame()
    uses = pairs.loc[bad, "land_use"]
    message = "input " + pairs.loc[bad, "input"] + " does not apply to " + uses
    out = _rows(frame, bad, file, "input", pairs.loc[bad, "input"],
                "input_land_use_mismatch", message.to_numpy(), "")  # fmt: skip
    out["fix"] = uses.map({lu: "use one of: " + ", ".join(sorted(allowed[lu]))
                           for lu in pd.unique(uses)}).to_numpy()  # fmt: skip
    return out


def horizons(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Duplicated or overlapping horizons within a profile."""
    needed = {"profile_id", "upper_cm", "lower_cm"}
    if not needed <= set(frame.columns) or frame.empty:
        return failure_frame()
    layers = frame[["profile_id", "upper_cm", "lower_cm"]].dropna()
    return horizon_failures(layers["profile_id"], layers["upper_cm"].to_numpy("float64"),
                            layers["lower_cm"].to_numpy("float64"),
                            layers.index.to_numpy("int64"), file)  # fmt: skip


def horizon_failures(profile_id: pd.Series, upper_cm: np.ndarray, lower_cm: np.ndarray,
                     rows: np.ndarray, file: str) -> pd.DataFrame:  # fmt: skip
    """Duplicated or overlapping horizons within a profile, from column arrays.

    Parameters
    ----------
    profile_id : pandas.Series
        Profile of each horizon (no missing values), length N.
    upper_cm, lower_cm : numpy.ndarray
        Horizon depths [cm], no missing values, shape (N,).
    rows : numpy.ndarray of int
        Spreadsheet row of each horizon, shape (N,), in file order.
    file : str
        File name for the failure records.

    Returns
    -------
    pandas.DataFrame
        The failure records: a horizon repeating (``duplicate_horizon``) or starting above the
        bottom of (``overlapping_horizons``) the previous horizon of its profile, horizons
        ordered by upper then lower depth, ties in file order.
    """
    key = pd.factorize(profile_id)[0]  # profiles as integers: sorting them is cheap
    order = np.lexsort((lower_cm, upper_cm, key))  # stable: ties keep the file order
    key, upper, lower, row = key[order], upper_cm[order], lower_cm[order], rows[order]
    same_profile = np.r_[False, key[1:] == key[:-1]]
    prev_upper, prev_lower = np.r_[np.nan, upper[:-1]], np.r_[np.nan, lower[:-1]]
    prev_row = np.r_[0, row[:-1]]
    duplicate = same_profile & (upper == prev_upper) & (lower == prev_lower)
    overlap = same_profile & ~duplicate & (upper < prev_lower)
    parts = []
    for mask, rule, text, fix in (
        (duplicate, "duplicate_horizon", "repeats the horizon of row ",
         "keep one row per horizon (average replicate samples first)"),
        (overlap, "overlapping_horizons", "overlaps the horizon of row ",
         "horizons of one profile must not overlap: check upper_cm and lower_cm"),
    ):  # fmt: skip
        if mask.any():
            where = order[mask]
            value = (pd.Series(upper[mask]).map("{:g}".format) + "-"
                     + pd.Series(lower[mask]).map("{:g}".format))  # fmt: skip
            names = pd.Series(profile_id.to_numpy()[where]).astype("str")
            message = ("profile " + names + ": horizon " + value + " cm " + text
                       + pd.Series(prev_row[mask]).astype("int64").astype("str"))  # fmt: skip
            parts.append(failure_frame(pd.DataFrame({
                "file": file, "row": row[mask].astype("int64"), "column": "upper_cm",
                "value": value.to_numpy(), "rule_id": rule, "message": message.to_numpy(),
                "fix": fix})))  # fmt: skip
    return failure_frame(pd.concat(parts)) if parts else failure_frame()


def land_units_total_area(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """Years whose total land-unit area departs from the median total by over the tolerance."""
    if not {"year", "area_ha"} <= set(frame.columns) or frame["year"].nunique() < 2:
        return failure_frame()
    totals = frame.groupby("year")["area_ha"].sum()
    reference = float(totals.median())
    if reference <= 0:
        return failure_frame()
    deviation = (totals - reference).abs() / reference
    bad_years = deviation[deviation > LAND_UNITS_AREA_TOLERANCE].index
    first_rows = pd.Series(frame.index, index=frame.index).groupby(frame["year"]).min()
    records = [{"file": file, "row": int(first_rows[y]), "column": "area", "value": f"{y:g}",
                "rule_id": "land_units_total_area_changes",
                "message": f"land units total {totals[y]:,.1f} ha in {y:g}, but "
                           f"{reference:,.1f} ha in most years (more than "
                           f"{LAND_UNITS_AREA_TOLERANCE:.1%} apart)",
                "fix": "land units cover the whole country in every year: the same units must "
                       "appear each year, only their land use changes"}
               for y in bad_years]  # fmt: skip
    return failure_frame(records)


def organic_within_land_area(organic: pd.DataFrame, land: pd.DataFrame | None,
                             file: str) -> pd.DataFrame:  # fmt: skip
    """Organic-soil area per year, climate zone and land use must not exceed the land area of
    the same year, climate zone and land use (land_areas holds the whole land, organic soils
    included; the engine takes the organic area out of those strata)."""
    if land is None or organic.empty or "area_ha" not in organic or "area_ha" not in land:
        return failure_frame()
    keys = ["year", "climate_zone", "land_use"]
    if not set(keys) <= set(organic.columns) or not set(keys) <= set(land.columns):
        return failure_frame()
    land_totals = land.groupby(keys)["area_ha"].sum()
    land_years = set(land["year"].dropna())
    grouped = organic.loc[organic["year"].isin(land_years)]
    organic_totals = grouped.groupby(keys)["area_ha"].sum()
    available = land_totals.reindex(organic_totals.index).fillna(0.0)
    excess = organic_totals > available * (1 + ORGANIC_AREA_TOLERANCE)
    first_rows = pd.Series(grouped.index, index=grouped.index).groupby(
        [grouped[k] for k in keys]).min()  # fmt: skip
    records = [{"file": file, "row": int(first_rows[key]), "column": "area",
                "value": f"{organic_totals[key]:g}", "rule_id": "organic_area_exceeds_land_area",
                "message": f"{key[2]} in {key[1]} {key[0]:g}: organic soils "
                           f"{organic_totals[key]:,.1f} ha (sum of the group's rows) but only "
                           f"{available[key]:,.1f} ha of {key[2]} in {key[1]} in land_areas",
                "fix": "organic-soil areas are part of the land area of the same year, climate "
                       "zone and land use (land_areas holds the whole land, organic soils "
                       "included): check both files' areas, units and codes"}
               for key in organic_totals.index[excess.to_numpy()]]  # fmt: skip
    return failure_frame(records)


def factor_levels(frame: pd.DataFrame, file: str) -> pd.DataFrame:
    """F_I levels must be input codes, F_LU/F_MG levels management codes; SOC_REF needs keys."""
    if not {"factor", "level"} <= set(frame.columns) or frame.empty:
        return failure_frame()
    level, factor = frame["level"], frame["factor"]
    wrong_input = factor.eq("F_I") & level.notna() & ~level.isin(vocab.INPUTS)
    wrong_mg = factor.isin(("F_LU", "F_MG")) & level.notna() & ~level.isin(vocab.MANAGEMENTS)
    bad = (wrong_input | wrong_mg).fillna(False)
    parts = []
    if bad.any():
        parts.append(_rows(frame, bad, file, "level", level[bad], "factor_level_mismatch",
                           ("level " + level[bad].astype("str") + " does not fit factor "
                            + factor[bad].astype("str")).to_numpy(),
                           "F_I levels are input codes (low, medium, high, ...); F_LU and F_MG "
                           "levels are management codes (full_tillage, nominal, ...)"))  # fmt: skip
    for key in ("climate_zone", "soil_class"):
        if key in frame.columns:
            missing = (factor.eq("SOC_REF") & frame[key].isna()).fillna(False)
            if missing.any():
                parts.append(_rows(frame, missing, file, key, [None] * int(missing.sum()),
                                   "factor_key_missing", f"SOC_REF needs a {key}",
                                   f"fill {key}: a reference stock is specific to climate zone "
                                   "and soil class"))  # fmt: skip
    return failure_frame(pd.concat(parts)) if parts else failure_frame()
