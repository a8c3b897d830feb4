"""Default models, small and reproducible by `finadvisor train` (seeded)."""
