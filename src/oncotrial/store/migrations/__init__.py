"""Alembic migrations of the trial database (run by ``oncotrial db upgrade``)."""
