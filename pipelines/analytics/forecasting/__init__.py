"""Demand forecasting with statsforecast: open-day framing, candidates, backtests, choice."""
