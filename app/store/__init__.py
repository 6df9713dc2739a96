"""Encrypted storage: SQLCipher engine, key slots, schema and migrations."""
