"""Run the packaged Alembic migrations programmatically (CLI, `migrate` Lambda, tests)."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy.engine import Engine

from socialmetrics.db.engine import get_engine

MIGRATIONS = Path(__file__).parent / "migrations"


def alembic_config(engine: Engine | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    engine = engine or get_engine()
    config.set_main_option(
        "sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%")
    )
    return config


def upgrade(revision: str = "head", engine: Engine | None = None) -> None:
    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)


def downgrade(revision: str = "base", engine: Engine | None = None) -> None:
    engine = engine or get_engine()
    config = alembic_config(engine)
    with engine.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, revision)


def current(engine: Engine | None = None) -> str | None:
    from alembic.runtime.migration import MigrationContext

    with (engine or get_engine()).connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()
