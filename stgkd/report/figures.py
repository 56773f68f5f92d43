"""Figures for readers of the book: numbered captions, legends outside the data, and
colours that stay apart when a chart has many lines."""
from __future__ import annotations

import matplotlib.pyplot as plt


class Captions:
    """Numbered figure captions of one page: ``caption("What it shows.")`` displays
    "**Figure N.** What it shows." right under the figure drawn last, N counting from 1."""

    def __init__(self) -> None:
        self.number = 0

    def __call__(self, text: str) -> str:
        from IPython.display import Markdown, display

        self.number += 1
        line = f"**Figure {self.number}.** {text}"
        display(Markdown(line))
        return line


def legend_outside(ax, title: str | None = None, fontsize: float = 8, **kwargs):
    """The legend of ``ax`` to the right of its axes, off the data."""
    return ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), borderaxespad=0.0,
                     fontsize=fontsize, title=title, title_fontsize=fontsize, frameon=False,
                     **kwargs)


def legend_below(fig, ax, ncol: int = 3, fontsize: float = 8, **kwargs):
    """One legend for the whole figure below its axes, taken from ``ax``'s lines."""
    handles, labels = ax.get_legend_handles_labels()
    return fig.legend(handles, labels, loc="lower center", ncol=ncol, fontsize=fontsize,
                      frameon=False, bbox_to_anchor=(0.5, -0.02), **kwargs)


def distinct_colors(n: int) -> list:
    """``n`` colours that stay distinguishable: tab10 up to 10, tab20 up to 20."""
    cmap = plt.get_cmap("tab10" if n <= 10 else "tab20")
    return [cmap(i % cmap.N) for i in range(n)]


def ours(label: str, profile: str | None) -> str:
    """A legend entry for one of our runs: "<label> (ours, full profile)" for the full
    profile, "<label> (ours, quick)" for another; never "(paper)", which would read as
    the paper's number."""
    from stgkd.report.display import profile_label

    return f"{label} (ours, {profile_label(profile)})" if profile else f"{label} (ours)"
