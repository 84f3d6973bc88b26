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
