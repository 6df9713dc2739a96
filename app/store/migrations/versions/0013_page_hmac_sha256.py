"""Pages are authenticated with HMAC-SHA256 instead of SQLCipher 4's default HMAC-SHA512.

Why: every page a save writes or reads is hashed once. On CPUs with SHA extensions (Intel since
Ice Lake in 2019, every AMD Zen; the 2-vCPU Xeon the benchmarks run on) HMAC-SHA256 over a 4 KiB
page takes 2.2x less time than HMAC-SHA512 (5.5 against 12.1 us, Python's hmac over OpenSSL), and
on re-encrypted copies of a 100,000-entry store a save took 0.3-0.5 ms less (docs/benchmarks.md).
On older CPUs without them SHA-256 is somewhat slower than SHA-512; the laptops this is meant
for are mostly newer.

SQLCipher can change the page MAC only by copying every page into a new file, which cannot run
inside a transaction, so this revision has no SQL: `app/store/migrate.py` re-encrypts the store
(`reencrypt`) after the backup and before Alembic runs. A store at 0013 or later always carries
the new MAC; an older one opens with the old MAC (`app/store/engine.py` tries both).

Revision ID: 0013
Revises: 0012
"""

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass  # the pages were re-encrypted before this ran (see the docstring)


def downgrade() -> None:
    raise NotImplementedError("stores are never downgraded; restore the backup instead")
