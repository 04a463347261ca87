"""A run reads one pinned harmonised version: a submission filed meanwhile is never mixed in.

Issue 22 item 1: a newer submission B filed for a country while a run computes it (A) gave a
release whose mineral tables came from A and organic tables from B, with a manifest naming A;
filed between compute and write, the manifest named A with B's input hashes.
"""

from __future__ import annotations

import csv
from pathlib import Path

from attacks import package, submit

from inventory.engine import run
from inventory.harmonise import store
from inventory.lake import releases
from inventory.lake.zones import Lake, sha256_file

PARAMS = run.RunParameters(tier=2, mc_draws=0)


def _doubled(tmp_path: Path, name: str) -> Path:
    """The minimal package with every area (mineral and organic) doubled: submission B."""
    root = package(tmp_path, name)
    for file in ("land_areas.csv", "organic_soils.csv"):
        with open(root / file, encoding="utf-8") as handle:
            rows = list(csv.DictReader(handle))
        for row in rows:
            row["area"] = str(2 * float(row["area"]))
        with open(root / file, "w", encoding="utf-8", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
            writer.writeheader()
            writer.writerows(rows)
    return root


def _version_files(lake: Lake, country: str) -> dict[str, str]:
    """sha256 of every dataset file of the current harmonised version."""
    with store.pin_harmonised(lake, country) as pinned:
        return {d: sha256_file(pinned.path(d)) for d in run.HARMONISED_INPUTS if pinned.has(d)}


def _areas_2018(result: run.CountryResult) -> tuple[float, float]:
    """(mineral-soil, organic-soil) area [ha] of 2018 in the result's tables."""
    stocks = result.tables["soc_stocks"]
    organic = result.tables["organic_soil_emissions"]
    on_site = (organic["year"] == 2018) & (organic["component"] == "on_site")  # one row a stratum
    return (float(stocks.loc[stocks["year"] == 2018, "area_ha"].sum()),
            float(organic.loc[on_site, "area_ha"].sum()))  # fmt: skip


def test_a_submission_filed_while_a_country_computes_is_not_mixed_in(tmp_path, monkeypatch):
    lake = Lake.at(tmp_path / "lake")
    _, sid_a, _ = submit(lake, package(tmp_path, "a"))
    version_a = store.harmonised_manifest(lake, "IRL")["version"]
    hashes_a = _version_files(lake, "IRL")
    filed: list[str] = []
    original = run._organic_soils

    def file_b_first(inputs, years):  # B is filed after the mineral step, before the organic one
        filed.append(submit(lake, _doubled(tmp_path, "b"))[1])
        return original(inputs, years)

    monkeypatch.setattr(run, "_organic_soils", file_b_first)
    result = run.compute_country(lake, "IRL", PARAMS)
    assert store.harmonised_manifest(lake, "IRL")["submission_id"] == filed[0]  # B is current
    # every table from A. 2018 land 1500 + 500 + 3000 + 1000 = 6000 ha (B: 12000), organic
    # 200 + 120 + 80 = 400 ha (B: 800), taken out of the mineral strata of its (year, climate
    # zone, land use) group pro rata (issue 21, IPCC 2006 Vol.4 Ch.2 Sec. 2.3.3.1):
    # grassland 320 ha of 4000: 3000 - 320 x 3000/4000 = 2760, 1000 - 320 x 1000/4000 = 920;
    # cropland 80 ha of 2000: 1500 - 80 x 1500/2000 = 1440, 500 - 80 x 500/2000 = 480;
    # mineral 2760 + 920 + 1440 + 480 = 5600 ha (B: 11200; A's land with B's organic: 5200)
    assert _areas_2018(result) == (5600.0, 400.0)
    soil = result.tables["soil_areas"].query("year == 2018")
    assert soil[["land_area_ha", "mineral_area_ha", "organic_area_ha"]].sum().tolist() == [
        6000.0, 5600.0, 400.0
    ]  # fmt: skip
    assert result.submission_id == sid_a and result.harmonised_version == version_a
    assert result.input_sha256 == hashes_a
    manifest = run.run_manifest(PARAMS, [result])
    assert manifest["submissions"] == {"IRL": sid_a}
    assert manifest["harmonised_versions"] == {"IRL": version_a}
    assert {d: e["sha256"] for d, e in manifest["inputs"]["IRL"].items()} == hashes_a
    monkeypatch.setattr(run, "_organic_soils", original)
    assert _areas_2018(run.compute_country(lake, "IRL", PARAMS)) == (11200.0, 800.0)  # B next


def test_a_submission_filed_between_compute_and_write_leaves_the_manifest_and_release_on_a(
    tmp_path,
):
    lake = Lake.at(tmp_path / "lake")
    _, sid_a, _ = submit(lake, package(tmp_path, "a"))
    hashes_a = _version_files(lake, "IRL")
    result = run.compute_country(lake, "IRL", PARAMS)
    _, sid_b, _ = submit(lake, _doubled(tmp_path, "b"))  # filed after compute, before write
    hashes_b = _version_files(lake, "IRL")
    assert hashes_b["land_areas"] != hashes_a["land_areas"]
    manifest = run.run_manifest(PARAMS, [result])
    tables = {name: frame for name, frame in result.tables.items()
              if name in releases.PUBLISHED_TABLES}  # fmt: skip
    releases.write_run(lake, "run-a", tables, manifest)
    release = releases.publish_run(lake, "run-a")
    recorded = releases._read_json(release.path / "release.json")["inputs"]["IRL"]
    assert recorded["submission_id"] == sid_a != sid_b
    assert recorded["harmonised_version"] == result.harmonised_version
    assert recorded["sha256"] == hashes_a


def test_a_pinned_version_is_not_pruned_while_the_run_holds_it(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path, "a"))
    versions = lake.root / "harmonised" / store.VERSIONS / "IRL"
    with store.pin_harmonised(lake, "IRL") as pinned:
        for n in range(3):  # 3 newer versions: KEPT_VERSIONS = 2 would prune A without its pin
            submit(lake, package(tmp_path, f"later{n}"))
        assert pinned.root.is_dir()
        frame = pinned.read("land_areas")
        assert frame is not None and float(frame["area_ha"].sum()) > 0
        assert len([p for p in versions.iterdir() if p.is_dir()]) == 3  # A + the last two
    submit(lake, package(tmp_path, "after"))  # the pin is gone: A is pruned now
    assert not pinned.root.exists()
    assert len([p for p in versions.iterdir() if p.is_dir()]) == 2
    assert list((lake.root / "harmonised" / store.PINS / "IRL").iterdir()) == []


def test_a_lease_of_a_dead_process_does_not_keep_a_version(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path, "a"))
    version_a = store.harmonised_manifest(lake, "IRL")["version"]
    pins = lake.root / "harmonised" / store.PINS / "IRL"
    pins.mkdir(parents=True)
    import socket

    dead = pins / f"{version_a}.{socket.gethostname()}.999999999.abcd"  # no such pid
    dead.touch()
    for n in range(3):
        submit(lake, package(tmp_path, f"later{n}"))
    assert not (lake.root / "harmonised" / store.VERSIONS / "IRL" / version_a).exists()
    assert not dead.exists()


def test_the_cache_key_reads_one_version(tmp_path):
    lake = Lake.at(tmp_path / "lake")
    submit(lake, package(tmp_path, "a"))
    key_a = run.input_fingerprint(lake, "IRL", PARAMS)
    assert run.input_fingerprint(lake, "IRL", PARAMS) == key_a
    submit(lake, _doubled(tmp_path, "b"))
    assert run.input_fingerprint(lake, "IRL", PARAMS) != key_a
