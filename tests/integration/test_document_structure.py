"""The PDF structure rules the documents rely on for PDF/UA-1 and PDF/A-3, checked with pikepdf (no validator can be
installed here): tagged content only inside the structure tree, running heads as artifacts, headings, lists and
tables tagged, the language, one /AF entry for the calendar, the creation date, and whole words in the text."""

from __future__ import annotations

import io
import re

import pikepdf
import pytest
from pypdf import PdfReader

from workflow.documents.render import RenderedDocument

ISSUED = {"convocatoria": "D:20211101060000Z", "protocolo": "D:20211115060000Z"}  # 00:00 CST of each issue day


def _tree(pdf: pikepdf.Pdf) -> tuple[set[tuple[int, int]], list[str]]:
    """The structure elements linked under /StructTreeRoot, and their roles."""
    linked: set[tuple[int, int]] = set()
    roles: list[str] = []
    stack = [pdf.Root.StructTreeRoot.K]
    while stack:
        node = stack.pop()
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") == "/StructElem":
            if node.objgen in linked:
                continue
            linked.add(node.objgen)
            roles.append(str(node.S))
            stack.append(node.get("/K"))
    return linked, roles


def structure_problems(data: bytes) -> list[str]:
    """Every broken rule, in words (empty: none)."""
    problems = []
    with pikepdf.open(io.BytesIO(data)) as pdf:
        root = pdf.Root
        if str(root.get("/Lang", "")) != "es-MX":
            problems.append("/Lang no es es-MX")
        if not (root.get("/MarkInfo") and root.MarkInfo.get("/Marked")):
            problems.append("sin /MarkInfo /Marked")
        if not root.get("/ViewerPreferences", {}).get("/DisplayDocTitle"):
            problems.append("sin /DisplayDocTitle")
        meta = pdf.open_metadata(set_pikepdf_as_editor=False)
        if not meta.get("dc:title"):
            problems.append("sin dc:title en XMP")
        linked, roles = _tree(pdf)
        for role in ("/H1", "/H2", "/P", "/L", "/LI", "/Table", "/TR", "/TD"):
            if role not in roles:
                problems.append(f"ninguna etiqueta {role}")
        nums = root.StructTreeRoot.ParentTree.Nums
        parents = {int(nums[i]): nums[i + 1] for i in range(0, len(nums), 2)}
        for number, page in enumerate(pdf.pages, start=1):
            entries = parents.get(int(page.obj.get("/StructParents", -1)))
            artifacts = 0
            for operands, operator in pikepdf.parse_content_stream(page):
                if str(operator) not in ("BDC", "BMC"):
                    continue
                if operands[0] == "/Artifact":
                    artifacts += 1
                    continue
                if str(operator) == "BMC" or "/MCID" not in operands[1]:
                    problems.append(f"página {number}: contenido marcado sin MCID ({operands[0]})")
                    continue
                mcid = int(operands[1].MCID)
                element = entries[mcid] if entries is not None and mcid < len(entries) else None
                if not isinstance(element, pikepdf.Dictionary) or element.objgen not in linked:
                    problems.append(f"página {number}: MCID {mcid} fuera del árbol de estructura")
            if artifacts < 3:  # letterhead, version stamp, page number
                problems.append(f"página {number}: encabezado, pie y folio no son artefactos")
        af = root.get("/AF", [])
        if len(af) != 1:
            problems.append(f"/AF tiene {len(af)} entradas, no una")
        for spec in af:
            if str(spec.EF.F.get("/Subtype")) != "/application/yaml":
                problems.append(f"adjunto con tipo {spec.EF.F.get('/Subtype')}, no application/yaml")
            if str(spec.get("/AFRelationship")) != "/Source":
                problems.append("el calendario adjunto no es /Source")
    return problems


@pytest.mark.parametrize("kind", list(ISSUED))
def test_structure_rules(rendered: dict[str, RenderedDocument], kind: str) -> None:
    assert structure_problems(rendered[kind].pdf) == []


@pytest.mark.parametrize("kind", list(ISSUED))
def test_created_on_its_own_issue_date_not_the_calendar_approval(
    rendered: dict[str, RenderedDocument], kind: str
) -> None:
    with pikepdf.open(io.BytesIO(rendered[kind].pdf)) as pdf:
        assert str(pdf.docinfo["/CreationDate"]) == ISSUED[kind]
        assert str(pdf.docinfo["/ModDate"]) == ISSUED[kind]
        (spec,) = pdf.Root.AF
        assert str(spec.EF.F.Params.CreationDate) == ISSUED[kind]


@pytest.mark.parametrize("kind", list(ISSUED))
def test_text_extracts_as_whole_words(rendered: dict[str, RenderedDocument], kind: str) -> None:
    reader = PdfReader(io.BytesIO(rendered[kind].pdf))
    for number, page in enumerate(reader.pages, start=1):
        text = page.extract_text() or ""
        broken = re.findall(r"\w+[\u2010-]\n\w+", text)
        assert not [b for b in broken if not re.fullmatch(r"\d+[-\u2010]\n\d+", b)], (number, broken)


def test_a_broken_structure_is_detected(rendered: dict[str, RenderedDocument]) -> None:
    """The checker is no rubber stamp: WeasyPrint's own output (running heads tagged, /AF twice) fails it."""
    from weasyprint import HTML, Attachment

    html = (
        '<html lang="es-MX"><head><title>t</title><style>@page { @top-center { content: "Encabezado" } '
        "@bottom-center { content: counter(page) } }</style></head><body><h1>T</h1><h2>S</h2><p>x</p>"
        "<ul><li>a</li></ul><table><tr><td>1</td></tr></table></body></html>"
    )
    raw = HTML(string=html).write_pdf(
        pdf_variant="pdf/a-3b", pdf_tags=True, attachments=[Attachment(string="a: 1", name="c.yaml")]
    )
    problems = structure_problems(raw)
    assert any("/AF tiene 2" in p for p in problems)
    assert any("fuera del árbol" in p or "artefactos" in p for p in problems)
    assert any("application/yaml" in p for p in problems)
