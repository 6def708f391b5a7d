"""Reads of the published quality records: batches and scores, quarantine, gate results.

Stewards' routes, `onceonly status`, the quarantine export and the analysts' catalogue
figures all read these tables; their queries are written here, against the layout of
`snapshot.tables`, so that no reader spells a table of the snapshot itself. Each query reads
a snapshot file opened on its own (no catalog); `?` parameters are listed beside it.
"""

from __future__ import annotations

from snapshot.tables import BATCHES, QUARANTINE, SCORES, VALIDATIONS

_B, _Q, _S, _V = BATCHES.ref(), QUARANTINE.ref(), SCORES.ref(), VALIDATIONS.ref()

# One resource's batches, newest first, each with its scores as a map dimension -> score.
# Parameters: resource.
BATCHES_WITH_SCORES = (
    f"SELECT b.*, (SELECT map(list(dimension), list(score)) FROM {_S} s "
    "WHERE s.batch = b.batch AND s.contract_id = b.contract_id) AS scores "
    f"FROM {_B} b WHERE contract_id = ? ORDER BY certified_at DESC"
)
# A page of one resource's quarantined rows, newest first. Parameters: resource, state twice
# ('open', 'resolved' or 'all'), rule id twice (NULL: any), limit, offset.
QUARANTINED_PAGE = (
    f"SELECT * FROM {_Q} WHERE contract_id = ? AND (? = 'all' OR status = ?) "
    "AND (? IS NULL OR list_contains(rule_ids, ?)) "
    "ORDER BY quarantined_at DESC, file_name, row_number LIMIT ? OFFSET ?"
)
# Open rows per rule they broke, most frequent first (as `rule`, `n`). Parameters: resource.
OPEN_BY_RULE = (
    f"SELECT rule, count(*) AS n FROM (SELECT unnest(rule_ids) AS rule FROM {_Q} "
    "WHERE contract_id = ? AND status = 'open') GROUP BY rule ORDER BY n DESC, rule"
)
# How many rows of one resource wait in open quarantine (as `n`). Parameters: resource.
OPEN_COUNT = f"SELECT count(*) AS n FROM {_Q} WHERE contract_id = ? AND status = 'open'"
# The open rows to send back to the department, as `contracts.returns.returned_file` takes
# them. Parameters: resource.
OPEN_ROWS = (
    f"SELECT raw, rule_ids, reasons, file_name, row_number FROM {_Q} "
    "WHERE contract_id = ? AND status = 'open' ORDER BY file_name, row_number"
)
# What the gate checked on a batch (a batch id or its prefix). Parameters: resource, batch.
VALIDATIONS_OF_BATCH = (
    f"SELECT * FROM {_V} WHERE contract_id = ? AND starts_with(batch, ?) ORDER BY success, rule_id"
)
# A delivery whose region shards did not all pass the gate is `partly_certified`: its other
# shards' rows serve, so it counts as certified, and its failures count as the gate's.
# Per resource: batches, rows landed, certified, quarantined, duplicate, when last certified,
# and whether its latest batch failed the gate.
RESOURCE_FIGURES = f"""
SELECT contract_id, count(*), sum(rows_landed), sum(rows_certified), sum(rows_quarantined),
       sum(rows_duplicate),
       max(certified_at) FILTER (WHERE status IN ('certified', 'partly_certified')),
       bool_or(status IN ('gate_failed', 'partly_certified') AND certified_at = max_at)
FROM (SELECT *, max(certified_at) OVER (PARTITION BY contract_id) AS max_at
      FROM {_B})
GROUP BY contract_id
"""
# Per resource, for `onceonly status`: batches, landed, certified, quarantined, duplicates,
# open quarantine, the share certified, and the last gate failure.
STATUS = f"""
SELECT b.contract_id, count(*), sum(rows_landed), sum(rows_certified), sum(rows_quarantined),
       sum(rows_duplicate),
       (SELECT count(*) FROM {_Q} q
        WHERE q.contract_id = b.contract_id AND q.status = 'open'),
       sum(rows_certified) / greatest(sum(rows_landed) - sum(rows_duplicate), 1),
       max(CASE WHEN status IN ('gate_failed', 'partly_certified')
                THEN array_to_string(gate_failures, ', ') END)
FROM {_B} AS b GROUP BY b.contract_id ORDER BY b.contract_id
"""
# For the analysts' catalogue figures, per resource: batches, last certified, rows landed
# and quarantined; open quarantine; the latest batch's mean score.
BATCH_TOTALS = f"""
SELECT b.contract_id, count(*) AS batches, max(b.certified_at) AS last_certified_at,
       sum(b.rows_landed) AS rows_landed, sum(b.rows_quarantined) AS rows_quarantined
FROM {_B} AS b GROUP BY b.contract_id
"""
OPEN_QUARANTINE = f"""
SELECT contract_id, count(*) AS open_quarantine FROM {_Q}
WHERE status = 'open' GROUP BY contract_id
"""
LATEST_SCORE = f"""
SELECT s.contract_id, avg(s.score) AS quality_score FROM {_S} AS s
JOIN (SELECT contract_id, arg_max(batch, certified_at) AS batch FROM {_B}
      GROUP BY contract_id) AS latest USING (contract_id, batch)
GROUP BY s.contract_id
"""
# Every batch of every resource, oldest first per resource, with its mean quality score (NULL
# for a batch the gate failed before scoring), for the quality over time.
SCORE_HISTORY = f"""
SELECT b.contract_id, b.batch, b.file_name, b.status, b.certified_at, b.rows_landed,
       b.rows_certified, b.rows_quarantined,
       (SELECT avg(s.score) FROM {_S} AS s
        WHERE s.batch = b.batch AND s.contract_id = b.contract_id) AS quality_score
FROM {_B} AS b ORDER BY b.contract_id, b.certified_at, b.batch
"""
# Per resource, when its last batch was certified (a batch the gate failed does not count).
LAST_CERTIFIED = f"""
SELECT contract_id,
       max(certified_at) FILTER (WHERE status IN ('certified', 'partly_certified'))
           AS last_certified_at
FROM {_B} GROUP BY contract_id
"""
# A steward's inbox (`directory.inbox`), for the resources of one department (parameter: the
# list of their contract ids). Batches the gate failed, whole or in some region shards, that no
# later batch of the same resource certified whole: what still waits on the department.
GATE_FAILURES_WAITING = f"""
SELECT b.contract_id, b.batch, b.status, b.certified_at, b.gate_failures FROM {_B} AS b
WHERE list_contains(?, b.contract_id) AND b.status IN ('gate_failed', 'partly_certified')
  AND NOT EXISTS (SELECT 1 FROM {_B} AS later WHERE later.contract_id = b.contract_id
                  AND later.status = 'certified' AND later.certified_at > b.certified_at)
ORDER BY b.certified_at, b.contract_id
"""
# Open quarantined rows per resource and batch, with the oldest (as `n`, `since`): rows to send
# back to the department. Parameter: the list of contract ids.
QUARANTINE_WAITING = f"""
SELECT contract_id, batch, count(*) AS n, min(quarantined_at) AS since FROM {_Q}
WHERE list_contains(?, contract_id) AND status = 'open'
GROUP BY contract_id, batch ORDER BY since, contract_id
"""
