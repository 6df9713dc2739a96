"""Qt's own texts that appear in our windows (standard buttons, edit context menus, and
Qt's own file dialog, which picks report, export and sync-folder paths).

Qt ships German and Bulgarian translations of these but none for Romanian or Romani,
so they are listed here to land in our catalogs; GettextTranslator answers Qt's
translate() with them before Qt's own files are asked.
"""

from app.i18n import N_, NP_

QT_STRINGS = [
    N_("OK"), N_("&OK"), N_("Cancel"), N_("&Cancel"), N_("Save"), N_("&Save"), N_("Close"), N_("&Close"),
    N_("Yes"), N_("&Yes"), N_("No"), N_("&No"), N_("Apply"), N_("Discard"), N_("Reset"), N_("Help"),
    N_("&Undo"), N_("&Redo"), N_("Cu&t"), N_("&Copy"), N_("&Paste"), N_("Delete"), N_("Select All"),
]

# Qt's file dialog (QFileDialog, its file list and icons), with Qt's contexts; %1 is Qt's placeholder.
QT_FILE_DIALOG_STRINGS = [
    NP_("QFileDialog", "&Look in:"), NP_("QFileDialog", "File &name:"), NP_("QFileDialog", "Files of &type:"),
    NP_("QFileDialog", "&Open"), NP_("QFileDialog", "&Choose"), NP_("QFileDialog", "Directory:"),
    NP_("QFileDialog", "Directories"), NP_("QFileDialog", "All Files (*)"), NP_("QFileDialog", "Back"),
    NP_("QFileDialog", "Forward"), NP_("QFileDialog", "Parent Directory"), NP_("QFileDialog", "Create New Folder"),
    NP_("QFileDialog", "List View"), NP_("QFileDialog", "Detail View"), NP_("QFileDialog", "&Rename"),
    NP_("QFileDialog", "Show &hidden files"), NP_("QFileDialog", "&New Folder"), NP_("QFileDialog", "New Folder"),
    NP_("QFileDialog", "%1 already exists.\nDo you want to replace it?"),
    NP_("QFileDialog", "%1\nFile not found.\nPlease verify the correct file name was given."),
    NP_("QFileDialog", "%1\nDirectory not found.\nPlease verify the correct directory name was given."),
    NP_("QFileSystemModel", "Name"), NP_("QFileSystemModel", "Size"), NP_("QFileSystemModel", "Type"),
    NP_("QFileSystemModel", "Date Modified"), NP_("QFileSystemModel", "Computer"),
    NP_("QAbstractFileIconProvider", "Folder"), NP_("QAbstractFileIconProvider", "Drive"),
    NP_("QAbstractFileIconProvider", "%1 File"),
]
