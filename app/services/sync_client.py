"""Small companions of `app.services.sync.SyncService` for the desktop client's sync screens
(app/ui/sync_view.py). They read and write what the core keeps and change none of its rules.

* The sync folder is kept inside the encrypted store (a path may reveal a person's name, so
  never in Qt settings), under the key the sync service reads (`sync.sync_dir`, set from the
  workstation profile on a device). A team lead's journal has no profile: the client asks
  once for a folder and remembers it here.
* `unsynced_records` counts records (entries, clients, list values) with changes the lead
  has not acknowledged; `pending_records` also says how many of them are in no bundle yet. The
  status bar says "changes not yet synced" while some are unsent, and "sent, waiting for the team
  lead" once all are in a bundle. The service's `status().unacknowledged` counts field versions,
  about 30 for one new consultation.
"""

from __future__ import annotations

from pathlib import Path

from app.services.journal import Journal
from app.store import repository as repo
from app.store.engine import writing

FOLDER_KEY = "sync.sync_dir"


def get_sync_folder(journal: Journal) -> str:
    with journal.engine.connect() as conn:
        return repo.get_meta(conn, FOLDER_KEY) or ""


def set_sync_folder(journal: Journal, folder: str | Path) -> None:
    with writing(journal.engine) as conn:
        repo.set_meta(conn, FOLDER_KEY, str(folder))


def unsynced_records(journal: Journal) -> int:
    """Records changed on this computer that the team lead has not acknowledged yet."""
    return pending_records(journal)[0]


def pending_records(journal: Journal) -> tuple[int, int]:
    """(records the team lead has not acknowledged yet, of them those in no bundle yet): the
    difference is sent and waits for the lead's reply, which is not the same as not synced."""
    with journal.engine.connect() as conn:
        acked = int(repo.get_meta(conn, "sync.acked") or 0)
        sent = max(acked, int(repo.get_meta(conn, "sync.sent_upto") or 0))

        def records(after: int) -> int:
            return int(conn.exec_driver_sql(
                "SELECT count(*) FROM (SELECT DISTINCT tbl, rid FROM sync_log WHERE seq > ?)", (after,)).scalar())

        return records(acked), records(sent)
