"""Sync core: hybrid logical clocks, per-field change tracking, merge, signed and encrypted
bundles, team trust and provisioning profiles. No Qt here (see tests/test_architecture.py).

Format and rules: docs/sync-format.md.
"""
