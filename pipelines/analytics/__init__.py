"""Service analytics: case statistics, three-colour warnings, demand forecasts, the analytical
database and the SQL workbench over it. Modules other than `assets` import no Dagster, so the
API and the CLI can use them."""
