"""Entry point of the frozen application (PyInstaller runs this file as __main__).

Same as `python -m app`: every command of `mediatorlog`, the desktop client by default.
"""

from app.cli import main

raise SystemExit(main())
