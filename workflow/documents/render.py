"""Jinja2 → HTML → WeasyPrint → PDF/A-3b, reproducibly: the same calendar and templates give the same bytes.

The calendar version the document came from is embedded as an attachment (the PDF/A-3 way to carry a source), the
metadata dates derive from that version, and the document language is es-MX. A supplemented document (the dictamen)
also carries its caller's content as a JSON attachment, and its dates derive from that content.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import jinja2

from workflow.calendar.model import Calendar

from .context import DOCUMENT_KINDS, SUPPLEMENTED, Supplement, VersionStamp, created_at, family_of, shown
from .pdf_finish import finish
from .spanish import ordinal_feminine, ordinal_masculine

SHIPPED_TEMPLATES = Path(__file__).resolve().parents[2] / "templates"
PDF_VARIANT = "pdf/a-3b"


@dataclass(frozen=True)
class RenderedDocument:
    kind: str
    pdf: bytes
    fingerprint: str
    title: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.pdf).hexdigest()


def fingerprint(content: dict[str, Any], template_sources: str) -> str:
    """What a reader sees: the shown content and the templates that lay it out."""
    payload = json.dumps(content, ensure_ascii=False, sort_keys=True, default=str) + "\0" + template_sources
    return hashlib.sha256(payload.encode()).hexdigest()


@dataclass(frozen=True)
class _Prepared:
    """What one rendering needs, computed once: the template environment, the content and its fingerprint."""

    env: jinja2.Environment
    base: Path
    content: dict[str, Any]
    fingerprint: str


class DocumentRenderer:
    """Renders documents from a calendar. ``assets_dir`` is where a calendar's own templates folder and logo live
    (the calendars folder); templates a calendar does not override come from ``templates/``."""

    def __init__(self, assets_dir: Path | None = None, shipped: Path = SHIPPED_TEMPLATES) -> None:
        self.assets_dir = assets_dir
        self.shipped = shipped

    def _environment(self, cal: Calendar) -> tuple[jinja2.Environment, list[Path]]:
        search = [self.shipped]
        own = self._inside(cal.documents.templates)
        if own is not None and own.is_dir():
            search.insert(0, own)
        env = jinja2.Environment(
            loader=jinja2.FileSystemLoader([str(p) for p in search]),
            autoescape=jinja2.select_autoescape(["html", "j2"]),
            undefined=jinja2.StrictUndefined,  # a missing value is a bug, never a blank in a legal document
            trim_blocks=True,
            lstrip_blocks=True,
        )
        env.filters["ordinal"] = _ordinal_filter
        env.filters["ordinal_masculine"] = lambda n: ordinal_masculine(n).upper()  # «PRIMERO.» of a transitorio
        return env, search

    def _template_sources(self, env: jinja2.Environment, kind: str) -> str:
        # Every template the document may include, in a stable order, so that editing one makes a new version.
        family = family_of(kind)
        assert family is not None  # shown() has refused an unknown kind already
        names = sorted(
            n for n in env.list_templates() if n.endswith((".j2", ".css")) and not _belongs_elsewhere(n, family)
        )
        loader = env.loader
        assert loader is not None  # list_templates above has already needed it
        return "\0".join(f"{n}\0{loader.get_source(env, n)[0]}" for n in names)

    def _inside(self, relative: str | None) -> Path | None:
        """``relative`` under the calendars folder, or None if unset or it leads outside (e.g. through a link)."""
        if not relative or self.assets_dir is None:
            return None
        root = self.assets_dir.resolve()
        path = (root / relative).resolve()
        return path if path.is_relative_to(root) else None

    def _logo_path(self, cal: Calendar) -> Path | None:
        path = self._inside(cal.process.ople.logo)
        return path if path is not None and path.is_file() else None

    def _logo(self, cal: Calendar) -> str | None:
        path = self._logo_path(cal)
        return path.as_uri() if path is not None else None

    def _prepare(self, cal: Calendar, kind: str, supplement: Supplement | None) -> _Prepared:
        env, search = self._environment(cal)
        content = shown(cal, kind, supplement)
        sources = self._template_sources(env, kind)
        logo = self._logo_path(cal)
        if logo is not None:  # another logo is another document; without one, fingerprints stay as they were
            sources += "\0logo\0" + hashlib.sha256(logo.read_bytes()).hexdigest()
        return _Prepared(env, search[-1], content, fingerprint(content, sources))

    def _html(self, prep: _Prepared, cal: Calendar, kind: str, stamp: VersionStamp, created: datetime) -> str:
        return typeset(
            prep.env.get_template(f"{family_of(kind)}.html.j2").render(
                doc=prep.content,
                stamp=stamp,
                logo=self._logo(cal),
                created=created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        )

    def fingerprint(self, cal: Calendar, kind: str, supplement: Supplement | None = None) -> str:
        return self._prepare(cal, kind, supplement).fingerprint

    def html(
        self, cal: Calendar, kind: str, stamp: VersionStamp, created: datetime, supplement: Supplement | None = None
    ) -> tuple[str, Path]:
        """The HTML that would be rendered, and the base folder its relative links resolve against."""
        prep = self._prepare(cal, kind, supplement)
        return self._html(prep, cal, kind, stamp, created), prep.base

    def render(
        self,
        cal: Calendar,
        kind: str,
        *,
        calendar_text: str,
        created: datetime | None = None,
        document_version: int | None = None,
        calendar_version: int | None = None,
        supplement: Supplement | None = None,
    ) -> RenderedDocument:
        """``created`` is the instant written in the PDF's metadata: by default a calendar document's own issue
        instant (``context.created_at``); a supplemented kind (``dictamen-<cargo>``) needs its ``supplement``, whose
        ``created`` it takes. Never the clock, so that rendering again gives the same bytes."""
        from weasyprint import HTML, Attachment  # heavy import (~1 s): only where documents are rendered

        if created is None:
            created = supplement.created if supplement is not None else created_at(cal, kind)
        prep = self._prepare(cal, kind, supplement)
        fp = prep.fingerprint
        stamp = VersionStamp(document_version, calendar_version, fp)
        html, base = self._html(prep, cal, kind, stamp, created), prep.base
        name = f"calendario-{cal.process.id}" + (f"-v{calendar_version}" if calendar_version else "") + ".yaml"
        attachment = Attachment(
            string=calendar_text,
            name=name,
            description="Calendario electoral del que se generó este documento",
            created=created,
            modified=created,
            relationship="Source",
        )
        attachments = [attachment]
        if supplement is not None:
            attachments.append(
                Attachment(
                    string=json.dumps(supplement.content, ensure_ascii=False, sort_keys=True, indent=1, default=str),
                    name=supplement.attachment_name,
                    description=supplement.attachment_description,
                    created=created,
                    modified=created,
                    relationship="Data",
                )
            )
        pdf = HTML(string=html, base_url=str(base)).write_pdf(
            pdf_variant=PDF_VARIANT,
            pdf_tags=True,
            attachments=attachments,
            pdf_identifier=bytes.fromhex(fp[:32]),
        )
        pdf = finish(pdf)  # running heads as artifacts, one /AF entry, the attachments' MIME types
        return RenderedDocument(kind, pdf, fp, prep.content["title"])


NBSP = "\u00a0"
# Where a line may not break (no-break spaces; text extraction still reads spaces):
_PERCENT = re.compile(r"(\d) %")  # «1 %» stays on one line
_YEAR = re.compile(r"(?<=\bde )dos mil \w+")  # a year in words, «dos mil veintidós», is never split
# A paragraph, list item or table cell never ends on a word alone on its line (a runt): its last two words stay
# together, unless the last is long (a long pair would leave a gappy justified line above it).
_RUNT = re.compile(r"(?<=\S)[ \n]+(?=[^\s<>]{1,15}\s*</(?:p|li|td|th)>)")


def typeset(html: str) -> str:
    """Typography a legal department expects that CSS cannot state in WeasyPrint: no runt at the end of a
    paragraph, no year or percentage split across lines. Only spaces in text become no-break spaces."""
    html = _PERCENT.sub(lambda m: m.group(1) + NBSP + "%", html)
    html = _YEAR.sub(lambda m: m.group(0).replace(" ", NBSP), html)
    return _RUNT.sub(NBSP, html)


def _belongs_elsewhere(name: str, family: str) -> bool:
    """Is template ``name`` another document's own, to be left out of ``family``'s fingerprint? A supplemented
    family's templates (``dictamen.html.j2``, ``dictamen.css``, ``dictamen/…``) are its alone, and a supplemented
    document leaves out the calendar documents' own templates. The calendar documents keep fingerprinting each
    other's templates, as they always have: changing that would make new versions of published documents that show
    nothing new."""
    owner = name.split("/", 1)[0].split(".", 1)[0]
    if owner == family:
        return False
    return owner in SUPPLEMENTED or (family in SUPPLEMENTED and owner in DOCUMENT_KINDS)


def _ordinal_filter(n: int) -> str:
    return ordinal_feminine(n).upper()
