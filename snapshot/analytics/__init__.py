"""The analytical database as its readers see it: what it holds and how it is opened
(`database`), its configuration (`config`), the SQL guard and workbench analysts query it
with, the forecast charts drawn from it, and the three-colour warnings judged on any day.
The pipelines build the database (`pipelines.analytics`) with these same definitions.
"""
