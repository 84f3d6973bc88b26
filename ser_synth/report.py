"""A self-contained HTML report: headings, text, tables, PNG figures and audio players.

Media are linked by paths relative to the report, so the folder can be zipped or served as is.
"""

from __future__ import annotations

import html
import os
from pathlib import Path
from typing import Sequence


class HtmlReport:
    """Build an HTML page piece by piece, then :meth:`write` it atomically.

    Parameters
    ----------
    title : str
    """

    def __init__(self, title: str):
        self.title = title
        self._parts: list[str] = []

    def heading(self, text: str, level: int = 2) -> "HtmlReport":
        self._parts.append(f"<h{level}>{html.escape(text)}</h{level}>")
        return self

    def text(self, text: str) -> "HtmlReport":
        self._parts.append(f"<p>{html.escape(text)}</p>")
        return self

    def image(self, path: str | Path, caption: str = "") -> "HtmlReport":
        self._parts.append(f'<figure><img src="{{rel:{path}}}" alt="{html.escape(caption)}"><figcaption>{html.escape(caption)}</figcaption></figure>')
        return self

    def table(self, header: Sequence[str], rows: Sequence[Sequence[object]]) -> "HtmlReport":
        """Cells that are :class:`Path` objects to audio files become players."""
        def cell(v):
            if isinstance(v, Path) and v.suffix.lower() in (".wav", ".flac", ".ogg", ".mp3"):
                return f'<audio controls preload="none" src="{{rel:{v}}}"></audio>'
            if isinstance(v, float):
                return f"{v:.3f}"
            return html.escape(str(v))

        head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
        body = "".join("<tr>" + "".join(f"<td>{cell(v)}</td>" for v in row) + "</tr>" for row in rows)
        self._parts.append(f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")
        return self

    def write(self, path: str | Path) -> Path:
        """Write the page; media paths become relative to its folder."""
        import re

        from ser_synth.utils import atomic_write_text

        path = Path(path)
        base = path.parent.resolve()

        def rel(m):
            return html.escape(Path(os.path.relpath(Path(m.group(1)).resolve(), base)).as_posix(), quote=True)

        body = re.sub(r"\{rel:([^}]*)\}", rel, "\n".join(self._parts))
        page = (f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{html.escape(self.title)}</title>"
                "<style>body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em}"
                "table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:4px 8px;text-align:left}"
                "img{max-width:100%}figure{display:inline-block;vertical-align:top;width:47%;margin:.5em 1%}audio{width:220px}</style></head>"
                f"<body><h1>{html.escape(self.title)}</h1>\n{body}\n</body></html>\n")
        atomic_write_text(path, page)
        return path


def spectrogram_grid(log_mels: dict, rows: Sequence[str], cols: Sequence[float], path: str | Path, *,
                     col_label: str = "intensity") -> Path:
    """A PNG grid of log-mel spectrograms: ``log_mels[(row, col)]`` ``[frames, n_mels]``
    (rows e.g. emotions, columns e.g. intensities); missing cells stay empty."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(len(rows), len(cols), figsize=(4 * len(cols), 1.6 * len(rows)), squeeze=False)
    for i, r in enumerate(rows):
        for j, c in enumerate(cols):
            ax = axes[i, j]
            if (r, c) in log_mels:
                ax.imshow(log_mels[r, c].T, origin="lower", aspect="auto", cmap="magma")
            ax.set_title(f"{r}, {col_label} {c:g}", fontsize=8)
            ax.set_xticks([])
            ax.set_yticks([])
    fig.tight_layout()
    return save_figure(fig, path)


def save_figure(fig, path: Path) -> Path:
    """Write a matplotlib figure to a PNG atomically (its folder created) and close it."""
    import matplotlib.pyplot as plt

    from ser_synth.utils import check_file_target

    path = check_file_target(path)
    tmp = path.with_name(f".{path.stem}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path
