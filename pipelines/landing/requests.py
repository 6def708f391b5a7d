"""Which delivered files still need landing, and which landed shards certifying, as Dagster
run requests.

Shared by the sensor (every few seconds), the per-resource schedules (a sweep on the
resource's update cycle, for when the sensor is off) and the CLI (run now, in process). A
file is landed by one run; each region shard it holds is then certified by a run of its own
(``pipelines.asset_keys.certify_requests``, from the shards the landing run listed).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from contracts.model import Contract
from pipelines.asset_keys import (
    certified_asset_key,
    files_partitions_name,
    landing_asset_key,
    sharded,
)
from pipelines.landing.assets import LandingFileConfig
from pipelines.landing.files import LandingFile, Unrecognised, content_hash, discover, partition_key

HashCache = dict[str, tuple[int, int, str]]  # path -> (size, mtime_ns, sha256)


@dataclass(frozen=True)
class PendingFile:
    file: LandingFile
    file_hash: str

    @property
    def partition_key(self) -> str:
        return partition_key(self.file_hash)

    def run_request(self) -> dg.RunRequest:
        key = landing_asset_key(self.file.contract_id)
        op_name = "__".join(key.path)
        return dg.RunRequest(
            run_key=f"{self.file.contract_id}:{self.partition_key}",
            partition_key=self.partition_key,
            # Not sharded, the run certifies the file too; sharded, each of its region shards
            # is certified by a run of its own once it has landed.
            asset_selection=[key]
            if sharded()
            else [key, certified_asset_key(self.file.contract_id)],
            run_config={
                "ops": {
                    op_name: {"config": LandingFileConfig(path=str(self.file.path)).model_dump()}
                }
            },
            tags=self.tags,
        )

    @property
    def tags(self) -> dict[str, str]:
        return {"onceonly/department": self.file.department, "onceonly/file": self.file.path.name}


def settled_files(
    root: Path,
    contracts: Mapping[str, Contract],
    settle_seconds: float,
    cache: HashCache,
    department: str | None = None,
) -> tuple[list[PendingFile], list[Unrecognised]]:
    """Files that have stopped changing, with their hashes (reused from `cache` when unchanged).

    A file modified less than `settle_seconds` ago may still be being copied in; it waits for
    the next evaluation rather than landing half-written.
    """
    found, unrecognised = discover(root, dict(contracts))
    now = time.time()
    pending: list[PendingFile] = []
    for file in found:
        if department is not None and file.department != department:
            continue
        stat = file.path.stat()
        if now - stat.st_mtime < settle_seconds:
            continue
        cached = cache.get(str(file.path))
        if cached and cached[:2] == (stat.st_size, stat.st_mtime_ns):
            file_hash = cached[2]
        else:
            file_hash = content_hash(file.path)
            cache[str(file.path)] = (stat.st_size, stat.st_mtime_ns, file_hash)
        pending.append(PendingFile(file, file_hash))
    return pending, unrecognised


def new_partitions(
    instance: dg.DagsterInstance, pending: Iterable[PendingFile]
) -> dict[str, list[str]]:
    """Partition keys not yet registered, by dynamic-partitions name."""
    wanted: dict[str, list[str]] = {}
    known: dict[str, set[str]] = {}
    for item in pending:
        name = files_partitions_name(item.file.contract_id)
        if name not in known:
            known[name] = set(instance.get_dynamic_partitions(name))
        if item.partition_key not in known[name]:
            known[name].add(item.partition_key)
            wanted.setdefault(name, []).append(item.partition_key)
    return wanted
