"""The trial database (shell): SQLAlchemy 2 models, Alembic migrations, the audit trail.

* :mod:`oncotrial.store.models`: the schema (``docs/data-model.md`` draws it);
* :mod:`oncotrial.store.db`: engines for SQLite (WAL, foreign keys) and PostgreSQL (psycopg 3);
* :mod:`oncotrial.store.migrate`: ``upgrade`` to the newest revision;
* :mod:`oncotrial.store.audit`: triggers, hash chain, ``verify``;
* :mod:`oncotrial.store.views`: one SQL view per form for statisticians;
* :mod:`oncotrial.store.backup`: a consistent copy and its restore, on both back ends.
"""

from oncotrial.store.db import make_engine, make_session_factory
from oncotrial.store.migrate import upgrade

__all__ = ["make_engine", "make_session_factory", "upgrade"]
