"""Pure domain: entries, clients, reference catalogs and validation. Imports nothing of store, ui or sync."""
