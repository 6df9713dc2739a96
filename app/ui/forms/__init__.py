"""Python modules compiled from resources/ui/*.ui by app.ui.build_forms (not committed)."""
