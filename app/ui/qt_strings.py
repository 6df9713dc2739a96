"""Qt's own texts that appear in our windows (standard buttons, edit context menus).

Qt ships German and Bulgarian translations of these but none for Romanian or Romani,
so they are listed here to land in our catalogs; GettextTranslator answers Qt's
translate() with them before Qt's own files are asked.
"""

from app.i18n import N_

QT_STRINGS = [
    N_("OK"), N_("&OK"), N_("Cancel"), N_("&Cancel"), N_("Save"), N_("&Save"), N_("Close"), N_("&Close"),
    N_("Yes"), N_("&Yes"), N_("No"), N_("&No"), N_("Apply"), N_("Discard"), N_("Reset"), N_("Help"),
    N_("&Undo"), N_("&Redo"), N_("Cu&t"), N_("&Copy"), N_("&Paste"), N_("Delete"), N_("Select All"),
]
