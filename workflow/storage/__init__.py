"""Infrastructure the domain owns: the database (engines, sessions, migrations, UTC instants) and the file stores."""
