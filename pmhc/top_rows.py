"""The largest rows of a long breakdown and one "Other" row for the rest, adding up to the total.

Why: a breakdown by beat can have hundreds of rows, and a chart of them is unreadable.
A chart shows the N largest and an "Other" row holding the rest, so its bars still add up
to the period's figure (the full table stays beside it, every row, sortable).

For the public, both the order and the "Other" row come from shown numbers only.
Ranking by a hidden count would say how large it is (a hidden cell listed between a shown
40 and a shown 35 lies between them), so rows with a hidden ranking count come last, in
name order, and always in "Other". The "Other" row of a count is the total minus the
rows above it: shown only when the total and every row above are shown, it holds nothing
a reader could not subtract already; otherwise it is withheld too.
"""

from __future__ import annotations

import pandas as pd

from . import present

OTHER = "Other"


def _shown(value) -> bool:
    """A number a reader sees as it is (not hidden, not missing, not a marker)."""
    return not present.missing(value) and not isinstance(value, present.Withheld)


def top_with_other(df: pd.DataFrame, bucket: str, rank: str, counts: list[str], total: dict,
                   n: int = 15) -> pd.DataFrame:
    """The `n` rows of `df` largest by `rank` (among rows whose `rank` is shown), then an
    "Other" row with, for each of `counts`, total − those rows (see the module docstring).
    Columns other than `bucket` and `counts` are left empty in the "Other" row. With `n`
    rows or fewer, `df` itself in that order."""
    if df.empty:
        return df
    shown = [i for i in df.index if _shown(df.at[i, rank])]
    hidden = [i for i in df.index if i not in set(shown)]
    shown.sort(key=lambda i: (-float(df.at[i, rank]), str(df.at[i, bucket])))
    hidden.sort(key=lambda i: str(df.at[i, bucket]))
    ordered = df.loc[shown + hidden].reset_index(drop=True)
    if len(ordered) <= n:
        return ordered
    top = df.loc[shown[:n]].reset_index(drop=True)
    other: dict = {bucket: OTHER}
    for c in counts:
        whole = total.get(c)
        parts = list(top[c]) if c in top else []
        if present.not_measured(whole):
            other[c] = whole
        elif _shown(whole) and all(_shown(v) for v in parts):
            other[c] = whole - sum(float(v) for v in parts)
        else:
            other[c] = present.Withheld(present.SUPPRESSED_TEXT, "the rest of a total with a hidden part")
    out = pd.concat([top.astype(object), pd.DataFrame([other], dtype=object)], ignore_index=True)
    for c in counts:  # keep the markers (a float column would turn them into plain NaN)
        out[c] = pd.Series(list(top[c]) + [other[c]], index=out.index, dtype=object)
    return out
