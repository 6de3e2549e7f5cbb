"""Citizen support captures (apoyos): when an aspirante's window is open, and how a capture is accepted."""
