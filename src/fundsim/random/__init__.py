"""Random numbers: numpy's named streams of a run and counter-based hashing for compiled
loops, with one table of stream numbers (:mod:`.streams`)."""
