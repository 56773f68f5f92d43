"""The progress bar every long loop uses: tqdm's notebook bar where ipywidgets is
installed, its text bar elsewhere, without the warning tqdm prints into a notebook (and
so into the book) when the widgets are missing."""
from __future__ import annotations

import warnings

with warnings.catch_warnings():
    # "IProgress not found": tqdm.auto falls back to the text bar, which is what we want
    warnings.filterwarnings("ignore", message="IProgress not found")
    from tqdm.auto import tqdm

__all__ = ["tqdm"]
