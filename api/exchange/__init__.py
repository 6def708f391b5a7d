"""The exchange itself: who may read what, and the answers clerks get (no HTTP here)."""
