"""The lowest floor: strict YAML read with lines and columns, and located diagnostics.

Everything above may report through :mod:`.diagnostics`; nothing here imports fundsim code
from any other package."""
