"""The phase engine: calendar versions in the database, transitions that fire exactly once, and their actions."""
