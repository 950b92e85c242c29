"""The schema comes from migrations: `init-db` on an empty database gives exactly what the models describe."""
from __future__ import annotations

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from coordinator import create_app
from coordinator.extensions import db
from tests.conftest import empty_database_like


def test_init_db_builds_the_schema_the_models_describe(app, tmp_path):
    fresh = create_app({"TESTING": True, "SECRET_KEY": "x", "UPLOAD_FOLDER": str(tmp_path),
                        "SQLALCHEMY_DATABASE_URI": empty_database_like(app, tmp_path, "liancha_migrations")})
    result = fresh.test_cli_runner().invoke(args=["init-db"])
    assert result.exit_code == 0, result.output
    assert "数据库已就绪" in result.output
    with fresh.app_context():
        with db.engine.connect() as connection:
            differences = compare_metadata(MigrationContext.configure(connection), db.metadata)
            tables = set(sa.inspect(connection).get_table_names())
        db.engine.dispose()
    assert differences == []
    assert {"subject", "inspector", "conflict", "item", "item_version", "user_account"} <= tables
    again = fresh.test_cli_runner().invoke(args=["init-db"])  # upgrading an up-to-date database is harmless
    with fresh.app_context():
        db.engine.dispose()  # or PostgreSQL connections linger until garbage collection
    assert again.exit_code == 0


def test_every_collection_a_model_holds_is_read_in_a_fixed_order(app):
    """A collection without ORDER BY comes back in whatever order the database keeps its rows (on PostgreSQL an
    updated row moves), so a page, an export or a draw's input built from it would differ between databases."""
    sa.orm.configure_mappers()
    unordered = [str(relationship) for mapper in db.Model.registry.mappers for relationship in mapper.relationships
                 if relationship.uselist and relationship.order_by is False]
    assert unordered == []
