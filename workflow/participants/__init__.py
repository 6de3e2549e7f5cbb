"""Aspirantes, their gestores, and the API tokens of every role."""
