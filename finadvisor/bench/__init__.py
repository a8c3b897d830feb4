"""`finadvisor bench`: performance figures measured side by side, as ratios where they mean
something (see bench/README.md for the latest figures of this machine)."""
