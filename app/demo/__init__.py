"""Demo data for a fresh installation: generated artwork and a living month."""
