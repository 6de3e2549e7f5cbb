"""What WeasyPrint leaves undone in an accessible PDF/A-3, done after it, reproducibly.

- Running headers, footers and page numbers (CSS margin boxes) are marked content that WeasyPrint maps to structure
  elements it never links into the tree; a screen reader then reads the letterhead and «Página n de m» on every page.
  They become pagination **artifacts** (``/Artifact <</Type /Pagination>> BDC``) and leave the parent tree.
- WeasyPrint lists each attachment twice in the catalogue's ``/AF``; it is listed once.
- An attachment's MIME type comes from its name where Python knows it; a calendar (``.yaml``) gets
  ``application/yaml`` (RFC 9512), not ``application/octet-stream``.

The file is saved with a deterministic ``/ID``: the same input bytes give the same output bytes.
"""

from __future__ import annotations

import io
import zlib

import pikepdf

MIME_BY_SUFFIX = {".yaml": "application/yaml", ".yml": "application/yaml", ".json": "application/json"}
PAGINATION = pikepdf.Dictionary(Type=pikepdf.Name.Pagination)


def _reachable(root: pikepdf.Object) -> set[tuple[int, int]]:
    """The structure elements linked into the tree under ``/StructTreeRoot``."""
    seen: set[tuple[int, int]] = set()
    stack = [root.get("/K")]
    while stack:
        node = stack.pop()
        if node is None:
            continue
        if isinstance(node, pikepdf.Array):
            stack.extend(node)
        elif isinstance(node, pikepdf.Dictionary) and node.get("/Type") == pikepdf.Name.StructElem:
            if node.is_indirect:
                if node.objgen in seen:
                    continue
                seen.add(node.objgen)
            stack.append(node.get("/K"))
    return seen


def _unlinked_mcids(pdf: pikepdf.Pdf) -> dict[int, set[int]]:
    """Per parent-tree key (a page's ``/StructParents``), the MCIDs whose element is not in the tree; their
    parent-tree entries are cleared."""
    tree = pdf.Root.get("/StructTreeRoot")
    if tree is None:
        return {}
    linked = _reachable(tree)
    nums = tree.ParentTree.get("/Nums", pikepdf.Array())
    out: dict[int, set[int]] = {}
    for i in range(0, len(nums), 2):
        key, entries = int(nums[i]), nums[i + 1]
        if not isinstance(entries, pikepdf.Array):
            continue  # an annotation's single element
        for mcid, element in enumerate(entries):
            if isinstance(element, pikepdf.Dictionary) and element.is_indirect and element.objgen not in linked:
                out.setdefault(key, set()).add(mcid)
                entries[mcid] = None  # null: no structure element
    return out


def _artifacts(pdf: pikepdf.Pdf, page: pikepdf.Page, mcids: set[int]) -> None:
    changed: list[pikepdf.ContentStreamInstruction | pikepdf.ContentStreamInlineImage] = []
    for instruction in pikepdf.parse_content_stream(page):
        operands, operator = instruction.operands, instruction.operator
        if (
            str(operator) == "BDC"
            and len(operands) == 2
            and isinstance(operands[1], pikepdf.Dictionary)
            and "/MCID" in operands[1]
            and int(operands[1].MCID) in mcids
        ):
            changed.append(pikepdf.ContentStreamInstruction([pikepdf.Name.Artifact, PAGINATION], operator))
        else:
            changed.append(instruction)
    contents = pdf.make_stream(zlib.compress(pikepdf.unparse_content_stream(changed), 9))
    contents.Filter = pikepdf.Name.FlateDecode
    page.obj.Contents = contents


def _attachments(pdf: pikepdf.Pdf) -> None:
    af = pdf.Root.get("/AF")
    if af is None:
        return
    unique, seen = [], set()
    for spec in af:
        key = spec.objgen if spec.is_indirect else id(spec)
        if key in seen:
            continue
        seen.add(key)
        unique.append(spec)
        name = str(spec.get("/UF", spec.get("/F", "")))
        mime = next((m for suffix, m in MIME_BY_SUFFIX.items() if name.lower().endswith(suffix)), None)
        if mime is not None:
            spec.EF.F.Subtype = pikepdf.Name("/" + mime)  # written /application#2Fyaml
    pdf.Root.AF = pikepdf.Array(unique)


def finish(data: bytes) -> bytes:
    with pikepdf.open(io.BytesIO(data)) as pdf:
        unlinked = _unlinked_mcids(pdf)
        for page in pdf.pages:
            key = page.obj.get("/StructParents")
            if key is not None and int(key) in unlinked:
                _artifacts(pdf, page, unlinked[int(key)])
        _attachments(pdf)
        out = io.BytesIO()
        pdf.save(out, deterministic_id=True)
        return out.getvalue()
