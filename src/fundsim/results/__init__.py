"""Results: the schema, assembly to xarray, batch summaries (the ``ds.fundsim`` accessor,
registered here), comparisons and IO."""

from . import summary as _summary  # noqa: F401 - registers the ds.fundsim accessor
from .io import read_results

__all__ = ["read_results"]
