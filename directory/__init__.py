"""The resource directory: the catalogue stewards maintain, the map from materials to shared
data, and the sharing rules (share requests and the grants the exchange enforces)."""
