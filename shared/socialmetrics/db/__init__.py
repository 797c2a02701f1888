"""Database layer: engine, models, migrations and the queries that write metrics."""
