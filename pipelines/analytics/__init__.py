"""Service analytics: building the analytical database from a published snapshot - case
records, statistics, warnings, demand forecasts, catalogue figures - and publishing it. What
the database holds and how it is read (the SQL guard and workbench, charts, warning colours)
is `snapshot.analytics`. Modules other than `assets` import no Dagster, so the CLI can use
them."""
