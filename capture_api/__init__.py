"""The HTTP surface (Litestar): OPLEs, aspirantes and gestor apps. Thin controllers over the domain packages."""
