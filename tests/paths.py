"""Paths of the data the tests read."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEED = ROOT / "seeds" / "000_fbac82d7d3572f62.txt"
DEVSET = ROOT / "devset"
CASSETTES = ROOT / "cassettes"
