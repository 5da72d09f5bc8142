"""Imported once by the training forkserver (rnnlab.worker): pay torch's lazy imports there, so
every forked job starts warm."""
from rnnlab.train import warm_up

warm_up()
