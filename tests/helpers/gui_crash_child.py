"""Child process for tests/test_gui_lock.py: the real desktop client, offscreen, with a
half-typed consultation, waiting to be killed.

    python tests/helpers/gui_crash_child.py STORE PASSPHRASE NOTE

Starts the window as `mediatorlog` does (app.ui.main.create_window), unlocks by typing
the passphrase, opens a new consultation with Ctrl+1, types NOTE with QTest.keyClicks,
waits until the draft holding NOTE is in the store, prints READY and sleeps. The test
then kills it with SIGKILL: nothing gets a chance to clean up or save on exit.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

TIMEOUT_S = 20


def wait_for(app, condition, what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        if time.monotonic() > deadline:
            print(f"TIMEOUT waiting for {what}", flush=True)
            sys.exit(2)
        app.processEvents()
        time.sleep(0.01)


def main() -> None:
    store, passphrase, note = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    from PySide6.QtCore import Qt
    from PySide6.QtTest import QTest

    from app.ui.main import create_window

    app, window = create_window(store)
    window.show()
    app.processEvents()
    QTest.keyClicks(window.unlock_form.passphrase, passphrase)
    QTest.keyClick(window.unlock_form.passphrase, Qt.Key.Key_Return)
    wait_for(app, lambda: window.journal is not None, "unlock")

    QTest.keyClick(window, Qt.Key.Key_1, Qt.KeyboardModifier.ControlModifier)  # new consultation
    form = window.current_form
    assert form is not None and form.entry_type == "consultation", form
    QTest.keyClicks(form.ui.notes, note)

    def draft_saved() -> bool:
        draft = window.journal.load_draft("new:consultation")
        return draft is not None and draft["record"].get("notes") == note

    wait_for(app, draft_saved, "the draft")
    print("READY", flush=True)
    time.sleep(120)  # killed long before this ends
    sys.exit(3)


if __name__ == "__main__":
    main()
