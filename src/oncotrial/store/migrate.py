"""Schema migrations (Alembic, run from code: no ``alembic.ini`` to find) and domain views.

:func:`upgrade` brings a database to the newest revision; each revision lives in
``oncotrial/store/migrations/versions``. SQLite runs in batch mode, so a column change rebuilds
the table with the constraint names of :data:`oncotrial.store.models.NAMING_CONVENTION`.
"""

from __future__ import annotations

from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine

__all__ = ["alembic_config", "current_revision", "head_revision", "upgrade"]


def alembic_config(connection: Connection | None = None) -> Config:
    """An Alembic configuration pointing at the bundled migrations."""
    config = Config()
    location = resources.files("oncotrial.store").joinpath("migrations")
    config.set_main_option("script_location", str(location))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    """The newest revision this software knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Migrate the database to ``revision`` in one transaction; return the revision reached."""
    with engine.begin() as connection:
        command.upgrade(alembic_config(connection), revision)
    reached = current_revision(engine)
    assert reached is not None
    return reached
