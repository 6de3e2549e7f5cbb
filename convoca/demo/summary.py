"""What the replay leaves behind: the documents' PDFs, the per-apoyo trail, and a summary (JSON for programs,
Markdown for people, a table on the terminal) of each aspirante's apoyos from received to the final count."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .gestores import AspiranteSpec


@dataclass
class Row:
    aspirante_id: int
    name: str
    cargo: str
    demarcacion: str
    gestores: int
    refused: int = 0  # refused by the API (captured after the close)
    received: int = 0
    late: int = 0
    valid: int = 0
    required: int | None = None
    meets: bool = False
    missing: int | None = None
    by_reason: dict[str, int] = field(default_factory=dict)  # label → count, every reason that is not «válido»
    by_status: dict[str, int] = field(default_factory=dict)  # status key → count (valid included)

    @property
    def result(self) -> str:
        if self.meets:
            return "Alcanza el apoyo requerido"
        return f"No alcanza: faltan {self.missing:,}" if self.missing is not None else "Sin verificación"


@dataclass
class Summary:
    process: str
    rows: list[Row] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    pdfs: dict[str, bytes] = field(default_factory=dict)
    desk: Counter[str] = field(default_factory=Counter)  # items decided, by kind (señalado, muestra…)
    decisions: dict[str, int] = field(default_factory=dict)
    objections: list[dict[str, str]] = field(default_factory=list)
    trail: bytes = b""
    seconds: float = 0.0

    def add_aspirante(self, created: dict[str, Any], spec: AspiranteSpec, demarcacion: str) -> None:
        self.rows.append(Row(created["id"], spec.name, spec.cargo, demarcacion, len(spec.gestores)))

    def row(self, name: str) -> Row:
        return next(r for r in self.rows if r.name == name)

    def add_document(self, file_name: str, title: str, number: int, draft: bool, pdf: bytes) -> None:
        self.pdfs[file_name] = pdf
        self.documents.append({"archivo": file_name, "titulo": title, "version": number, "proyecto": draft})

    def set_result(self, name: str, progress: dict[str, Any]) -> None:
        """An aspirante's figures as the API gives them to the aspirante (progress, with the latest run)."""
        r = self.row(name)
        v = progress["verification"] or {}
        r.received, r.late, r.required = progress["received"], progress["late"], progress["required"]
        r.valid, r.meets, r.missing = v.get("valid", 0), v.get("meets", False), v.get("missing")
        r.by_status = {s["key"]: s["count"] for s in progress["by_status"]}
        r.by_reason = {s["label"]: s["count"] for s in progress["by_status"] if s["key"] != "valido"}

    @property
    def trail_events(self) -> int:
        return max(0, len(self.trail.decode("utf-8-sig").strip().splitlines()) - 1)

    def as_dict(self) -> dict[str, Any]:
        return {
            "proceso": self.process,
            "segundos": round(self.seconds, 1),
            "aspirantes": [
                {
                    "id": r.aspirante_id,
                    "nombre": r.name,
                    "cargo": r.cargo,
                    "demarcacion": r.demarcacion,
                    "gestores": r.gestores,
                    "rechazados_por_la_api": r.refused,
                    "recibidos": r.received,
                    "en_plazo_de_gracia": r.late,
                    "validos": r.valid,
                    "por_estado": r.by_status,
                    "requerido": r.required,
                    "alcanza": r.meets,
                    "faltan": r.missing,
                    "resultado": r.result,
                }
                for r in self.rows
            ],
            "mesa_de_control": {"por_tipo": dict(self.desk), "decisiones": self.decisions},
            "objeciones": self.objections,
            "documentos": self.documents,
            "traza": {"archivo": self.trail_name, "eventos": self.trail_events},
        }

    @property
    def trail_name(self) -> str:
        return f"traza-{self.process}.csv"

    def table(self) -> Table:
        t = Table(
            title="Resultado por aspirante",
            title_justify="left",
            caption="La demostración envía decenas de apoyos; el requerido son miles: nadie lo alcanza.",
            caption_justify="left",
        )
        for name, justify in (
            ("Aspirante", "left"),
            ("Cargo", "left"),
            ("Recibidos", "right"),
            ("Válidos", "right"),
            ("No válidos, por motivo", "left"),
            ("Requerido", "right"),
            ("Resultado", "left"),
        ):
            t.add_column(name, justify=justify)  # type: ignore[arg-type]
        for r in self.rows:
            t.add_row(
                r.name,
                f"{r.cargo.capitalize()} ({r.demarcacion})",
                f"{r.received}" + (f" ({r.late} en gracia)" if r.late else ""),
                str(r.valid),
                "\n".join(f"{label}: {n}" for label, n in r.by_reason.items()) or "—",
                f"{r.required:,}" if r.required is not None else "—",
                r.result,
            )
        return t

    def markdown(self) -> str:
        lines = [
            f"# Demostración: {self.process}, de la convocatoria al dictamen",
            "",
            "| Aspirante | Cargo | Recibidos | Válidos | No válidos, por motivo | Requerido | Resultado |",
            "|---|---|---:|---:|---|---:|---|",
        ]
        for r in self.rows:
            reasons = "; ".join(f"{label}: {n}" for label, n in r.by_reason.items()) or "—"
            required = f"{r.required:,}" if r.required is not None else "—"
            lines.append(
                f"| {r.name} | {r.cargo} ({r.demarcacion}) | {r.received} | {r.valid} | {reasons} | {required} | "
                f"{r.result} |"
            )
        lines += ["", "Documentos:", ""]
        lines += [
            f"- `{d['archivo']}`: {d['titulo']}, versión {d['version']}{' (PROYECTO)' if d['proyecto'] else ''}"
            for d in self.documents
        ]
        lines += ["", f"Traza de cada apoyo: `{self.trail_name}` ({self.trail_events} eventos).", ""]
        return "\n".join(lines)


def write_outputs(summary: Summary, out_dir: Path) -> list[Path]:
    """Every PDF, the trail and the summary into ``out_dir`` (emptied of a previous run's files first)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.iterdir():
        if old.is_file() and old.suffix in (".pdf", ".csv", ".json", ".md"):
            old.unlink()
    written = []
    for name, pdf in summary.pdfs.items():
        (out_dir / name).write_bytes(pdf)
        written.append(out_dir / name)
    files = {
        summary.trail_name: summary.trail,
        "resumen.json": json.dumps(summary.as_dict(), ensure_ascii=False, indent=2).encode() + b"\n",
        "resumen.md": summary.markdown().encode(),
    }
    for name, data in files.items():
        (out_dir / name).write_bytes(data)
        written.append(out_dir / name)
    return written


def show(summary: Summary, out_dir: Path, console: Console) -> None:
    console.print()
    console.print(summary.table())
    console.print(f"\nArchivos en {out_dir}/:", highlight=False)
    for d in summary.documents:
        console.print(f"  {d['archivo']}: {d['titulo']} (v{d['version']}{', PROYECTO' if d['proyecto'] else ''})")
    console.print(f"  {summary.trail_name}: traza de cada apoyo ({summary.trail_events} eventos)")
    console.print("  resumen.json, resumen.md: este resumen")
