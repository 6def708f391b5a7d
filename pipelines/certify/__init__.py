"""Certification: contracts decide which landed rows become certified, reusable data."""
