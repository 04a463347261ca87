"""A practice scenario as data: the YAML file, its pydantic model and its checks.

A scenario names its base (a published release and the countries; each country's last
inventory year is the start), a horizon year and its measures. A **practice** measure moves a
share of the mineral-soil area its selector matches (stratum keys: climate zone, soil class, land
use, management, input; any may be left open) to a target state (new management and/or input)
along a linear pathway between a start and an end year. A **rewetting** measure rewets a share
of the drained organic soils its selector matches (climate zone, land use, nutrient status,
drainage depth), or an area of them (``area_ha``, or ``area`` with its unit, e.g. ``10 kha``):
one of the two, never both. Business as usual (areas held at the last reported year) is always
computed beside it. The format is documented in ``docs/scenarios.md``.

Invalid scenarios are :class:`ScenarioError` (a user error) naming the measure and the fix: a
share outside 0-1, a target state that does not apply to the land use, a selector that matches
no area (checked against the base, :mod:`inventory.scenarios.projection`), a horizon before the
base year.
"""

from __future__ import annotations

import hashlib
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from inventory.core import units, vocab
from inventory.core.countries import country_code
from inventory.core.errors import UserError
from inventory.intake.manifest import load_yaml_safely

# Largest scenario file read [bytes]: a scenario is a few dozen lines.
MAX_SCENARIO_BYTES = 256 * 1024
MINERAL_SELECTOR_KEYS = ("climate_zone", "soil_class", "land_use", "management", "input")
ORGANIC_SELECTOR_KEYS = ("climate_zone", "land_use", "nutrient_status", "drainage_depth")
TARGET_KEYS = ("management", "input")
SCOPES = ("mineral", "mineral_and_organic")
AREA_UNIT = "ha"  # unit of a rewetting measure's area_ha
# An area with its unit: a number, then any unit pint reads as an area ("10 kha", "2.5 km2").
_AREA_TEXT = re.compile(r"^\s*([0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)\s*(\S.*)$")


class ScenarioError(UserError, ValueError):
    """A scenario file or form that cannot be run: what is wrong, and the fix."""

    action = "correct the scenario file (format: docs/scenarios.md) and run it again"


def _codes(column: str, values: dict[str, Any], where: str) -> dict[str, str]:
    """Selector or target values as canonical codes, each checked against its vocabulary."""
    out = {}
    del column
    for key, value in values.items():
        if value is None:
            continue
        code = vocab.canonical_code(str(value), key)
        if code not in vocab.VOCABULARIES[key]:
            choices = ", ".join(vocab.VOCABULARIES[key])
            raise ValueError(f"{where} {key} {value!r} is not a code; one of {choices}")
        out[key] = str(code)
    return out


def _iso3_list(value: Any) -> list[str]:
    """Country codes, upper-cased, checked and de-duplicated."""
    values = [value] if isinstance(value, str) else list(value or [])
    out: list[str] = []
    for code in values:
        iso3 = country_code(code)
        if iso3 is None:
            raise ValueError(f"{code!r} is not an ISO 3166 alpha-3 country code, e.g. KEN")
        if iso3 not in out:
            out.append(iso3)
    return out


class Selector(BaseModel):
    """Stratum keys of the mineral-soil area a practice measure moves (None = any)."""

    model_config = ConfigDict(extra="forbid")
    climate_zone: str | None = None
    soil_class: str | None = None
    land_use: str | None = None
    management: str | None = None
    input: str | None = None

    @model_validator(mode="after")
    def _canonical(self) -> Selector:
        for key, code in _codes("select", self.model_dump(), "select:").items():
            setattr(self, key, code)
        return self


class OrganicSelector(BaseModel):
    """Keys of the drained organic soils a rewetting measure rewets (None = any)."""

    model_config = ConfigDict(extra="forbid")
    climate_zone: str | None = None
    land_use: str | None = None
    nutrient_status: str | None = None
    drainage_depth: str | None = None

    @model_validator(mode="after")
    def _canonical(self) -> OrganicSelector:
        for key, code in _codes("rewet", self.model_dump(), "rewet:").items():
            setattr(self, key, code)
        return self


class Target(BaseModel):
    """The state the moved area takes: a new management and/or a new input level."""

    model_config = ConfigDict(extra="forbid")
    management: str | None = None
    input: str | None = None

    @model_validator(mode="after")
    def _canonical(self) -> Target:
        if self.management is None and self.input is None:
            raise ValueError("target: give a management and/or an input level")
        for key, code in _codes("target", self.model_dump(), "target:").items():
            setattr(self, key, code)
        return self


class Measure(BaseModel):
    """One measure: a practice change (``select`` + ``target``) or a rewetting (``rewet``).

    ``share`` [0-1] of the selected area has moved by ``end`` (linearly from 0 in ``start``;
    both default to the base year and the horizon). A rewetting measure may give the area
    instead: ``area_ha`` [ha], or ``area`` as text with its unit (``10 kha``), converted to
    ``area_ha``; it must not exceed the selected drained area of the base year (checked
    against the base, :func:`inventory.scenarios.projection.measure_moves`).
    """

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\- ]+$")]
    select: Selector | None = None
    target: Target | None = None
    rewet: OrganicSelector | None = None
    share: float | None = None
    area_ha: float | None = None
    area: str | None = Field(None, max_length=40)
    start: int | None = Field(None, ge=1900, le=2200)
    end: int | None = Field(None, ge=1900, le=2200)
    countries: list[str] | None = None  # None: every country of the base

    @field_validator("countries", mode="before")
    @classmethod
    def _iso3(cls, value: Any) -> list[str] | None:
        return None if value is None else _iso3_list(value)

    def applies_to(self, country: str) -> bool:
        """Whether the measure acts in ``country`` (``countries`` left out: everywhere)."""
        return self.countries is None or country in self.countries

    @property
    def kind(self) -> Literal["practice", "rewetting"]:
        """``practice`` (mineral soils) or ``rewetting`` (drained organic soils)."""
        return "rewetting" if self.rewet is not None else "practice"

    @model_validator(mode="after")
    def _consistent(self) -> Measure:
        where = f"measure {self.name!r}:"
        self._area(where)
        if self.share is None and self.area_ha is None:
            amount = "`share`" if self.rewet is None else "`share` or `area_ha` (or `area`)"
            raise ValueError(f"{where} give {amount}, e.g. share: 0.3 for 30 %")
        if self.share is not None and not 0.0 <= self.share <= 1.0:
            raise ValueError(
                f"{where} share {self.share} is outside 0-1; write the share of the selected "
                "area as a fraction, e.g. 0.3 for 30 %"
            )
        if self.rewet is not None:
            if self.select is not None or self.target is not None:
                raise ValueError(f"{where} a rewetting measure has `rewet` only, no select/target")
        elif self.target is None:
            raise ValueError(f"{where} give `select` and `target` (practice) or `rewet`")
        else:
            self._check_target(where)
        if self.start is not None and self.end is not None and self.end < self.start:
            raise ValueError(f"{where} end {self.end} is before start {self.start}")
        return self

    def _area(self, where: str) -> None:
        """``area`` (text with a unit) to ``area_ha``; refuse both, or an area with a share or
        on a practice measure, or an area that is not positive."""
        if self.area is not None:
            if self.area_ha is not None:
                raise ValueError(f"{where} give `area_ha` or `area`, not both")
            match = _AREA_TEXT.match(self.area)
            problem = None if match else "is not a number followed by a unit"
            if match:
                problem = units.check_unit(match.group(2), AREA_UNIT)
            if problem is not None:
                raise ValueError(f"{where} area {self.area!r} {problem}; write e.g. `10 kha`, "
                                 "`2500 ha` or `25 km2`")  # fmt: skip
            assert match is not None
            factor = units.conversion_factor(match.group(2), AREA_UNIT)
            self.area_ha, self.area = float(match.group(1)) * factor, None
        if self.area_ha is None:
            return
        if self.rewet is None:
            raise ValueError(f"{where} an area is for rewetting measures; a practice measure "
                             "moves a `share` of the selected area")  # fmt: skip
        if self.share is not None:
            raise ValueError(f"{where} give `share` or `area_ha`, not both: the share of the "
                             "selected drained area, or the hectares to rewet")  # fmt: skip
        if not self.area_ha > 0:
            raise ValueError(f"{where} area_ha {self.area_ha} is not positive; give the "
                             "hectares to rewet, or drop the measure")  # fmt: skip

    def _check_target(self, where: str) -> None:
        """The target state must exist for the land use the selector names."""
        assert self.target is not None
        land_use = self.select.land_use if self.select else None
        if land_use is None:
            raise ValueError(
                f"{where} select a land_use: management and input levels are per land use"
            )
        for key, allowed in (("management", vocab.MANAGEMENT_BY_LAND_USE),
                             ("input", vocab.INPUT_BY_LAND_USE)):  # fmt: skip
            code = getattr(self.target, key)
            if code is not None and code not in allowed.get(land_use, ()):
                choices = ", ".join(allowed.get(land_use, ())) or "none"
                raise ValueError(
                    f"{where} target {key} {code!r} does not apply to {land_use}; "
                    f"{key} levels of {land_use}: {choices}"
                )


class Base(BaseModel):
    """The inventory a scenario starts from."""

    model_config = ConfigDict(extra="forbid")
    release: str = Field("current", description="a release id, or `current`")
    countries: list[str] = Field(min_length=1)

    @field_validator("countries", mode="before")
    @classmethod
    def _iso3(cls, value: Any) -> list[str]:
        return _iso3_list(value)


class Adoption(BaseModel):
    """The adoption question: which share of ``measure`` reaches the target in ``year``."""

    model_config = ConfigDict(extra="forbid")
    measure: str
    year: int = Field(ge=1900, le=2200)
    scope: Literal["mineral", "mineral_and_organic"] = "mineral"


class Scenario(BaseModel):
    """A scenario file (``docs/scenarios.md``)."""

    model_config = ConfigDict(extra="forbid")
    name: Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9_.\-]+$")]
    description: str = ""
    base: Base
    horizon: int = Field(ge=1900, le=2200)
    target_permille: float = Field(4.0, gt=0, le=100)
    mc_draws: int | None = Field(None, ge=0, le=100_000)
    measures: list[Measure] = Field(default_factory=list)
    adoption: Adoption | None = None

    @model_validator(mode="after")
    def _names(self) -> Scenario:
        names = [m.name for m in self.measures]
        repeated = sorted({n for n in names if names.count(n) > 1})
        if repeated:
            raise ValueError(f"measure names repeat: {repeated}; give each measure its own name")
        if self.adoption is not None and self.adoption.measure not in names:
            raise ValueError(
                f"adoption: measure {self.adoption.measure!r} is not one of the measures {names}"
            )
        if self.adoption is not None and self.adoption.year > self.horizon:
            raise ValueError(
                f"adoption: year {self.adoption.year} is after the horizon {self.horizon}; "
                "choose a year up to the horizon"
            )
        for m in self.measures:
            for label, year in (("start", m.start), ("end", m.end)):
                if year is not None and year > self.horizon:
                    raise ValueError(
                        f"measure {m.name!r}: {label} {year} is after the horizon {self.horizon}"
                    )
        return self


def _message(err: ValidationError) -> str:
    """pydantic's errors as ``where: problem`` lines (the measure named by its position)."""
    lines = []
    for e in err.errors():
        where = ".".join(str(p) for p in e["loc"])
        text = str(e["msg"]).removeprefix("Value error, ")
        lines.append(f"{where}: {text}" if where else text)
    return "; ".join(lines)


def parse_scenario(text: str | bytes, *, source: str = "scenario") -> tuple[Scenario, str]:
    """A scenario and the sha256 of its bytes from YAML text.

    Parameters
    ----------
    text : str or bytes
        The scenario file's content (UTF-8).
    source : str
        File name used in error messages.

    Returns
    -------
    (Scenario, str)
        The checked scenario and the hex sha256 of the file's bytes (the scenario's version key).

    Raises
    ------
    ScenarioError
        Naming the file, the field or measure, and the fix.
    """
    data = text.encode("utf-8") if isinstance(text, str) else text
    if len(data) > MAX_SCENARIO_BYTES:
        raise ScenarioError(f"{source}: {len(data):,} bytes; a scenario file is at most "
                            f"{MAX_SCENARIO_BYTES:,} bytes")  # fmt: skip
    try:
        raw = load_yaml_safely(data.decode("utf-8-sig"))
    except UnicodeDecodeError as err:
        raise ScenarioError(f"{source}: not UTF-8 text ({err.reason})") from err
    except yaml.YAMLError as err:  # syntax, anchors, aliases, tags, too many nodes
        raise ScenarioError(f"{source}: not plain YAML ({err})") from err
    if not isinstance(raw, dict):
        raise ScenarioError(f"{source}: expected a mapping with name, base, horizon, measures")
    try:
        scenario = Scenario.model_validate(raw)
    except ValidationError as err:
        raise ScenarioError(f"{source}: {_message(err)}") from err
    return scenario, hashlib.sha256(data).hexdigest()


def load_scenario(path: str | Path) -> tuple[Scenario, str]:
    """:func:`parse_scenario` of a file; a missing file is a :class:`ScenarioError`."""
    path = Path(path)
    if not path.is_file():
        raise ScenarioError(f"scenario file {path} does not exist", "give the path of a .yaml file")
    return parse_scenario(path.read_bytes(), source=path.name)


def check_base_year(scenario: Scenario, country: str, base_year: int) -> None:
    """Refuse a horizon (or a measure's start) before the base year of ``country``."""
    if scenario.horizon <= base_year:
        raise ScenarioError(
            f"horizon {scenario.horizon} is not after {country}'s last inventory year "
            f"{base_year}, the scenario's start", f"set horizon to a year after {base_year}",
        )  # fmt: skip
    for m in scenario.measures:
        if m.start is not None and m.start < base_year:
            raise ScenarioError(
                f"measure {m.name!r}: start {m.start} is before {country}'s last inventory year "
                f"{base_year}", f"start the measure in {base_year} or later (or leave start out)",
            )  # fmt: skip
