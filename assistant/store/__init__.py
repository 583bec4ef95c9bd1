"""Relational storage (SQLAlchemy; SQLite by default, any database URL works): logs, drafts, audit."""
