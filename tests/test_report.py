"""HTML report: escaping, relative media links, audio players."""

from __future__ import annotations

from pathlib import Path

from ser_synth.report import HtmlReport


def test_report_links_media_relatively_and_escapes(tmp_path):
    media = tmp_path / "run" / "audio"
    media.mkdir(parents=True)
    (media / "a.wav").write_bytes(b"RIFF")
    (tmp_path / "run" / "fig.png").write_bytes(b"\x89PNG")
    out = (HtmlReport("Report <1>").heading("Section & more").text("x < y")
           .image(tmp_path / "run" / "fig.png", "a figure")
           .table(["emotion", "audio", "p"], [["sad", media / "a.wav", 0.5]])
           .write(tmp_path / "run" / "index.html"))
    page = out.read_text()
    assert "Report &lt;1&gt;" in page and "Section &amp; more" in page and "x &lt; y" in page
    assert 'src="fig.png"' in page and '<audio controls preload="none" src="audio/a.wav">' in page
    assert "<td>0.500</td>" in page and str(tmp_path) not in page
    assert isinstance(out, Path)


def test_spectrogram_grid_draws_given_cells(tmp_path):
    import numpy as np
    from PIL import Image

    from ser_synth.report import spectrogram_grid

    rng = np.random.default_rng(0)
    mels = {("sad", 0.5): rng.standard_normal((40, 16)), ("sad", 1.0): rng.standard_normal((30, 16))}
    path = spectrogram_grid(mels, ["sad", "angry"], [0.5, 1.0], tmp_path / "sub" / "grid.png")
    img = np.asarray(Image.open(path).convert("RGB"), dtype=float)
    colored = img.max(-1) - img.min(-1) > 40  # colormap pixels; frames and titles are grey
    half = img.shape[0] // 2
    assert colored[:half].mean() > 0.2 and colored[half:].mean() < 0.01  # the sad row is drawn, the missing angry row is not
    assert not list(tmp_path.glob("sub/.*"))  # no temporary file left behind
