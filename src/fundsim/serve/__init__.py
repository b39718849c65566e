"""The local web workbench (``fundsim serve``)."""
