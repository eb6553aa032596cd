"""Demo data: dossiers with a few months of history (`motcua demo --history`), and the
statistical mix they share with the benchmark's generator (bench/generate.py)."""
