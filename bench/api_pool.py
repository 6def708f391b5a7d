"""The API bench's pool: a sample landing zone, the deliveries one service item reads,
landed, certified and published by the pipelines' own functions, a clerk, and the request paths
the load cycles through. Built once per size and seed under the bench's work folder."""

from __future__ import annotations

import functools
import json
import os
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import settings  # noqa: E402

SERVICE_ITEM = "4101000004"  # 个体工商户设立登记: population and real estate, for a clerk of mr
DEPARTMENT = "mr"
CLERK = "bench.clerk"
CASE_REGISTER = "gsc_cases"  # the centre's approval system: the cases a read must name
APPLICANTS = 20_000  # distinct subjects the load cycles through
REUSE_INGEST_FROM = 10_000_000  # persons: below this, generating the zone here is quick


@dataclass
class Pool:
    home: Path
    rows: dict[str, int]  # certified rows per resource
    pending: list[tuple[str, Path]]  # later deliveries not landed yet, oldest first


def prepare(base: Path, persons: int, seed: int) -> Pool:
    """Build the pool once (a marker file records it), then reuse it as it stands."""
    home = base / "home"
    landing = landing_zone(base, persons, seed)
    marker = base / "pool.json"
    os.environ["ONCEONLY_HOME"] = str(home)
    for name in ("ONCEONLY_POOL", "ONCEONLY_CERTIFIED", "ONCEONLY_SERVING", "ONCEONLY_LANDING"):
        os.environ.pop(name, None)
    os.environ.pop("ONCEONLY_DIRECTORY_URL", None)
    if marker.exists():
        rows = json.loads(marker.read_text())
    else:
        shutil.rmtree(home, ignore_errors=True)
        started = time.perf_counter()
        rows = build_pool(landing)
        marker.write_text(json.dumps(rows))
        print(f"pool landed, certified and published in {time.perf_counter() - started:.0f} s")
    return Pool(home, rows, pending(landing))


def landing_zone(base: Path, persons: int, seed: int) -> Path:
    shared = ROOT / "var" / "bench" / "ingest" / f"p{persons}_e{persons // 10}_s{seed}"
    if persons >= REUSE_INGEST_FROM and (shared / "generated.json").exists():
        return shared / "landing"
    landing = base / "landing"
    if not (base / "generated").exists():
        from pipelines.samples import generate_landing_zone

        shutil.rmtree(base, ignore_errors=True)
        started = time.perf_counter()
        generate_landing_zone(
            landing, persons=persons, enterprises=max(persons // 10, 100), seed=seed, case_days=1
        )
        (base / "generated").touch()
        print(f"landing zone generated in {time.perf_counter() - started:.0f} s")
    return landing


@functools.cache
def needed_contracts() -> list[str]:
    """The contracts the service item's form fields and materials read, in certifying order."""
    from api.exchange.catalogue import CatalogueCache
    from contracts.registry import bundled_contracts, dependency_order
    from directory.sample import load_sample
    from directory.store import open_directory

    directory = open_directory(settings.current().directory_url)
    load_sample(directory)
    state = CatalogueCache(directory).current()
    mapping = state.service_items[SERVICE_ITEM].mapping
    refs = [f.source for f in mapping.form_fields]
    refs += [ref for material in mapping.materials for ref in material.replaced_by]
    needed = {state.entries_by_code[ref.resource].contract_id for ref in refs}
    return [c for c in dependency_order(bundled_contracts()) if c in needed]


def deliveries(landing: Path) -> dict[str, list[Path]]:
    """Each needed contract's delivered files, oldest first (the full extract comes first)."""
    from contracts.registry import bundled_contracts
    from pipelines.landing.files import discover

    files, _ = discover(landing, bundled_contracts())
    needed = needed_contracts()
    found: dict[str, list[Path]] = {c: [] for c in needed}
    for file in files:
        if file.contract_id in found:
            found[file.contract_id].append(file.path)
    return {c: sorted(paths, key=lambda p: p.name) for c, paths in found.items()}


def build_pool(landing: Path) -> dict[str, int]:
    from contracts.registry import bundled_contracts
    from pipelines.certify.certifier import certify_batch
    from pipelines.certify.publish import publish

    contracts = bundled_contracts()
    rows = {}
    with pool_resource().connect() as con:
        for contract_id, paths in deliveries(landing).items():
            batch = land(con, contract_id, paths[0])
            certified = certify_batch(con, contracts[contract_id], batch)
            rows[contract_id] = certified.rows_certified
        publish(con, certified_path(), serving_path())
    return rows


def land(con: Any, contract_id: str, path: Path) -> str:
    """Land one delivery; returns its batch (the file's content hash)."""
    from contracts.registry import bundled_contracts
    from pipelines.landing.files import LandingFile
    from pipelines.landing.loader import land_file

    contract = bundled_contracts()[contract_id]
    file = LandingFile(path, contract_id, contract.department)
    return land_file(con, file, contract, settings.current().scratch).file_hash


def pending(landing: Path) -> list[tuple[str, Path]]:
    """Later deliveries of the needed resources that this pool has not landed yet."""
    import duckdb

    from pipelines.landing.files import content_hash

    with duckdb.connect(str(pool_path()), read_only=True) as con:
        landed = {row[0] for row in con.execute("SELECT file_hash FROM landing.files").fetchall()}
    return [
        (contract_id, path)
        for contract_id, paths in deliveries(landing).items()
        for path in paths[1:]
        if content_hash(path) not in landed
    ]


def pool_resource() -> Any:
    from pipelines.resources import PoolResource

    return PoolResource(
        path=str(pool_path()),
        certified_path=str(certified_path()),
        serving_path=str(serving_path()),
    )


def pool_path() -> Path:
    return settings.current().pool


def certified_path() -> Path:
    return settings.current().certified


def serving_path() -> Path:
    return settings.current().serving


def clerk_token() -> str:
    from directory.store import open_directory

    identity = open_directory(settings.current().directory_url).identity
    if CLERK not in {u.name for u in identity.list_users()}:
        identity.create_user(CLERK, "clerk", DEPARTMENT)
    return identity.issue_token(CLERK).token


def applicant_paths(base: Path) -> tuple[Path, Path, float]:
    """Request paths for lookup and prefill over the same random applicants of the pool, and
    the share of them owning property (the others take the "not in the pool" path)."""
    import duckdb
    import numpy as np

    from snapshot.history import CURRENT
    from snapshot.manifest import current_version
    from snapshot.tables import history_exists_query, history_table

    snapshot = current_version(serving_path())
    assert snapshot is not None
    persons = np.load(snapshot.layout / "ps_population.keys.npy", mmap_mode="r")
    owners = np.load(snapshot.layout / "nr_real_estate.keys.npy", mmap_mode="r")
    rng = np.random.default_rng(0)
    picked = np.unique(persons[rng.choice(len(persons), min(APPLICANTS, len(persons)), False)])
    rng.shuffle(picked)
    share = float(np.isin(picked, owners).mean())
    keys = [k.decode() for k in picked]
    # A read names a case of the service item: from the centre's register when the pool has
    # one (else a read is refused), in the centre's format when it has none.
    with duckdb.connect(str(snapshot.path), read_only=True) as con:
        (tables,) = con.execute(*history_exists_query(CASE_REGISTER)).fetchone() or (0,)
        has_register = tables > 0
        found = (
            con.execute(
                f"SELECT case_no FROM {history_table(CASE_REGISTER)} "
                f"WHERE service_item_code = ? AND {CURRENT} ORDER BY received_at DESC LIMIT 1000",
                [SERVICE_ITEM],
            ).fetchall()
            if has_register
            else []
        )
    cases = [str(row[0]) for row in found] or [f"ZZ{i:013d}" for i in range(len(keys))]
    lookups, prefills = base / "lookup.paths", base / "prefill.paths"
    lookups.write_text(
        "\n".join(
            f"/v1/subjects/{k}?service_item={SERVICE_ITEM}&case_no={cases[i % len(cases)]}"
            for i, k in enumerate(keys)
        )
    )
    prefills.write_text(
        "\n".join(
            f"/v1/prefill?service_item={SERVICE_ITEM}&subject={k}&case_no={cases[i % len(cases)]}"
            for i, k in enumerate(keys)
        )
    )
    return lookups, prefills, share


def bare_paths(base: Path) -> Path:
    path = base / "bare.paths"
    path.write_text("/bare")
    return path
