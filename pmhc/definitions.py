"""Plain-language definitions of every figure: a view of the figure registry.

Kept so `definitions.figures()` / `definitions.by_key()` read naturally where only the
prose is wanted (Methodology, grant table, exports). Nothing is declared here: every
figure, its definition, inputs and suppression relations live in `pmhc.figures`.
"""

from __future__ import annotations

from .figures import UNKNOWN_NOTE as _UNKNOWN  # noqa: F401  (the deck quotes it)
from .figures import Figure, by_key, figures, ordinal  # noqa: F401

_ordinal = ordinal
