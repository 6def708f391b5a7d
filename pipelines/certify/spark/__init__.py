"""Certification on Apache Spark: the same contracts, the same steps, the same results.

Only what is Spark's own lives here: the session (`session`), moving rows between the pool
and Spark (`pool`), the engine's steps as DataFrame work (`engine`) and the Great
Expectations gate on a Spark DataFrame (`gate`). The rules come from the contract compiler,
rendered in Spark's dialect; the rows go back into the pool as the DuckDB engine writes them.
"""
