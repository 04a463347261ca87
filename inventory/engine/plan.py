"""The preflight of an inventory run: which countries and years it computes, or why not.

:func:`plan_run` is called by the ``inventory-run`` flow before anything is computed, so the
CLI, the web portal, the HTTP API and the Prefect deployments run the same checks (an interface
may call it earlier too, to answer at once). It decides:

* the countries: those asked for (ISO 3166-1 alpha-3, upper-cased, each once), else every
  country with an accepted submission except the withdrawn ones; each must have an accepted
  submission (:class:`~inventory.harmonise.store.NotAcceptedError`);
* the years of each country: those asked for, else the submission's; they must lie inside the
  years the submission reports (:class:`RunYearsError`, naming the submission's years);
* the publish guard's outcome where it is known before computing: a country of the current
  release whose published years the run's years leave out would be refused at publish time
  (:func:`inventory.lake.releases.dropped_rows_error`), unless the run withdraws it or a
  compiler approved its current submission knowing it drops them (:func:`accepted_drops`).
  Dropped strata are only known once computed: the guard checks them when publishing.

Each country is planned on its own: a country refused for its years or the guard is left out of
the run and reported (:class:`Refusal`, in ``RunPlan.refused``) while the others are computed
and published. Only when no country is left is the run refused as a whole (the one country's
own error, or one error naming every country with its action).
"""

from __future__ import annotations

from dataclasses import dataclass

from inventory.core.errors import NotFoundError, UsageError, UserError
from inventory.engine.run import RunParameters, country_years, declared_years
from inventory.harmonise.store import harmonised_countries, harmonised_manifest, require_accepted
from inventory.lake import releases
from inventory.lake.zones import Lake


class RunYearsError(UserError, ValueError):
    """The requested years are not reported by a country's accepted submission."""


@dataclass(frozen=True)
class CountryPlan:
    """One country of a run: its accepted submission and the years the run reports."""

    country: str
    submission_id: str | None
    first_year: int | None
    last_year: int | None
    declared: tuple[int, int] | None  # the years the submission reports


@dataclass(frozen=True)
class Refusal:
    """A country a run does not publish: the user error's message and the action."""

    country: str
    message: str
    action: str | None
    code: str

    @classmethod
    def of(cls, country: str, err: UserError) -> Refusal:
        return cls(country, err.message, err.action, err.code)

    def to_json(self) -> dict[str, str | None]:
        return {"country": self.country, "message": self.message, "action": self.action,
                "code": self.code}  # fmt: skip


@dataclass(frozen=True)
class RunPlan:
    """What a run computes (:func:`plan_run`), and the countries refused before computing."""

    params: RunParameters
    plans: tuple[CountryPlan, ...]
    refused: tuple[Refusal, ...] = ()

    @property
    def countries(self) -> list[str]:
        """The ISO3 codes computed, each once, in the order asked (else alphabetical)."""
        return [p.country for p in self.plans]


def plan_run(lake: Lake, params: RunParameters) -> RunPlan:
    """The countries and years a run computes; a :class:`~inventory.core.errors.UserError`
    when it cannot run or its release would certainly be refused (module docstring)."""
    params = RunParameters.model_validate(params.model_dump())  # codes normalised, once each
    if params.countries:
        chosen = list(params.countries)
        require_accepted(lake, chosen)
    else:
        chosen = [c for c in harmonised_countries(lake) if c not in params.withdraw]
    if not chosen and harmonised_countries(lake):
        raise UsageError("no country to compute: every country with an accepted submission is "
                         "withdrawn", "name the countries to compute (--country ISO3)")  # fmt: skip
    if not chosen:
        raise NotFoundError("no country to compute: none has an accepted submission",
                            "submit a package first (soc-inventory submit PATH, the API or the "
                            "portal)")  # fmt: skip
    plans, refused = [], []
    for country in chosen:
        record = harmonised_manifest(lake, country)
        first, last = country_years(params, record)
        plan = CountryPlan(country, record.get("submission_id"), first, last,
                           declared_years(record))  # fmt: skip
        try:  # each country on its own: one country's refusal never blocks the others
            _check_years(params, [plan])
            _expect_publishable(lake, params, [plan], accepted_drops(lake, [country]))
        except UserError as err:
            refused.append(Refusal.of(country, err))
        else:
            plans.append(plan)
    if not plans:  # nothing to compute: the refusal itself (one country), or all of them
        if len(refused) == 1:
            _raise_again(lake, params, chosen[0])
        raise UsageError(
            "no country can be published: "
            + "; ".join(f"{r.country}: {r.message}" for r in refused),
            "; ".join(dict.fromkeys(f"{r.country}: {r.action}" for r in refused if r.action))
            or None,
        )
    return RunPlan(params, tuple(plans), tuple(refused))


def _raise_again(lake: Lake, params: RunParameters, country: str) -> None:
    """Raise the one country's refusal as its own error class (years, publish guard)."""
    record = harmonised_manifest(lake, country)
    first, last = country_years(params, record)
    plan = CountryPlan(country, record.get("submission_id"), first, last, declared_years(record))
    _check_years(params, [plan])
    _expect_publishable(lake, params, [plan], accepted_drops(lake, [country]))


def accepted_drops(lake: Lake, countries: list[str]) -> list[str]:
    """Countries whose current input a compiler approved knowing it drops strata or years, and
    that the current release does not hold yet: the publish guard accepts their drop once."""
    provenance = releases.release_provenance(lake)
    out = []
    for country in countries:
        record = harmonised_manifest(lake, country)
        published = (provenance.get(country) or {}).get("submission_id")
        if record.get("accepts_drop") and published != record.get("submission_id"):
            out.append(country)
    return out


def _check_years(params: RunParameters, plans: list[CountryPlan]) -> None:
    """:class:`RunYearsError` when the asked years leave a submission's years."""
    problems = []
    for plan in plans:
        if plan.declared is None or plan.first_year is None or plan.last_year is None:
            continue
        low, high = plan.declared
        if plan.first_year < low or plan.last_year > high or plan.first_year > plan.last_year:
            problems.append(f"{plan.country} reports {low}-{high}")
    if problems:
        asked = f"{params.first_year or 'first'}-{params.last_year or 'last'}"
        raise RunYearsError(
            f"years {asked} are outside the submitted years ({'; '.join(problems)})",
            "choose years within them (--years FIRST-LAST; without it: as submitted)",
        )


def _expect_publishable(lake: Lake, params: RunParameters, plans: list[CountryPlan],
                        accepted: list[str]) -> None:  # fmt: skip
    """The publish guard's refusal, raised before computing when the run's years leave out
    years of the current release (of a country the run does not withdraw, and whose approved
    submission does not accept the drop)."""
    years = {p.country: (p.first_year, p.last_year) for p in plans
             if p.country not in params.withdraw and p.country not in accepted}  # fmt: skip
    if not years:
        return
    dropped = releases.rows_outside_years(lake, years)
    if not dropped.empty:
        raise releases.dropped_rows_error(dropped)
