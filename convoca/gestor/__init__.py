"""The reference gestor client: synthetic captures, an offline queue, and a sender that retries safely."""
