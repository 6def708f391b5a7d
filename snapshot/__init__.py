"""The published snapshot: the contract between the pipelines that write it and the API that
reads it.

A second engine writing the pool (Spark beside DuckDB) must write exactly what the API reads,
so what a snapshot holds is written down here once and both sides go through it: the table
layout and column names (`tables`), the as-of condition (`history`), the manifest and layout
formats (`manifest`, `layout`), the reader and the watcher that switches versions atomically
(`reader`, `watcher`, with the open-quarantine index in `quarantine_index`), the quality
reads (`quality`, `quarantine_export`), the analytical database's reader with its SQL guard
and workbench (`analytics`), and the working-day calendar every package counts deadlines
with (`calendar`).

It imports only `contracts` and `settings` of ours, so `pipelines`, `directory` and `api` may
all import it.
"""
