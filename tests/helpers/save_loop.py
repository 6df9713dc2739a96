"""Child process for tests/test_crash.py: open a store and save entries in a loop.

    python tests/helpers/save_loop.py STORE_PATH [MAX_ENTRIES]

Passphrase from MEDIATORLOG_PASSPHRASE. Prints "ready", then the id of each entry only
after save_entry has returned (flushed at once), so every printed id was reported saved.
Stops by itself after MAX_ENTRIES or 60 seconds, in case nobody kills it.
"""

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from app.domain.entries import Consultation  # noqa: E402
from app.services.stores import open_store  # noqa: E402


def main() -> int:
    path = Path(sys.argv[1])
    limit = int(sys.argv[2]) if len(sys.argv) > 2 else 100_000
    journal = open_store(path, os.environ["MEDIATORLOG_PASSPHRASE"])
    print("ready", flush=True)
    deadline = time.monotonic() + 60
    start = dt.datetime(2025, 1, 1, 8, 0)
    for i in range(limit):
        if time.monotonic() > deadline:
            break
        entry = Consultation(
            start=start + dt.timedelta(minutes=i), mediator="Crash Test", setting="office", district="mitte",
            notes=f"crash note {i} " + "Absturz " * 40, follow_up=f"follow {i}",
        )
        saved = journal.save_entry(entry)
        sys.stdout.write(f"{saved.id} {i}\n")
        sys.stdout.flush()
    journal.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
