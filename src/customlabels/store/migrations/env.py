from alembic import context

from customlabels.store import console_tables  # noqa: F401 - registers the console's tables
from customlabels.store.tables import Base

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
