"""The analytical database as its readers see it: what it holds and how it is opened
(`database`), its configuration (`config`), the SQL guard and workbench analysts query it
with, the forecast charts drawn from it, the three-colour warnings judged on any day, and
the queue (Erlang C, `staffing`) that turns forecast arrivals into windows to open.
The pipelines build the database (`pipelines.analytics`) with these same definitions.
"""
