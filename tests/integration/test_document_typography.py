"""Typography a legal department expects: no paragraph or list item ends on a word alone on its line (a runt:
«emisión.», «veintidós.»), no year in words split across lines, no «1 %» split. Checked on the PDFs' lines."""

from __future__ import annotations

import io
import re

from pypdf import PdfReader

from workflow.documents.render import NBSP, RenderedDocument, typeset

RUNT = re.compile(r"^[a-záéíóúüñ]{4,}[.;:,)]*$")  # a line that is one lowercase word closing its paragraph


def lines_of(pdf: bytes) -> list[str]:
    return [
        line.strip()
        for page in PdfReader(io.BytesIO(pdf)).pages
        for line in (page.extract_text() or "").splitlines()
        if line.strip()
    ]


def test_no_paragraph_ends_on_a_runt(rendered: dict[str, RenderedDocument]) -> None:
    for kind, doc in rendered.items():
        lines = lines_of(doc.pdf)
        assert [line for line in lines if RUNT.match(line)] == [], kind


def test_years_and_percentages_are_never_split(rendered: dict[str, RenderedDocument]) -> None:
    for kind, doc in rendered.items():
        lines = lines_of(doc.pdf)
        assert not [line for line in lines if re.search(r"\bdos(\s+mil)?$", line)], kind
        assert not [line for line in lines if re.match(r"^%", line)], kind


def test_typeset_binds_only_text_spaces() -> None:
    html = '<p class="a b">el 1 % de dos mil veintidós y su\nemisión.</p><li><strong>Hidalgo</strong> uno</li>'
    assert typeset(html) == (
        f'<p class="a b">el 1{NBSP}% de dos{NBSP}mil{NBSP}veintidós y su{NBSP}emisión.</p>'
        f"<li><strong>Hidalgo</strong>{NBSP}uno</li>"
    )
    long_last = "<p>una palabra extraordinariamente</p>"  # a long last word keeps its break: no gappy line above
    assert typeset(long_last) == "<p>una palabra extraordinariamente</p>"
