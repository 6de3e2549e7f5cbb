"""Official documents generated from the calendar: convocatoria and protocolo (later the dictamen) as PDF/A."""
