"""argparse's own words (the help headings and the usage errors the command line shows), in our
catalogs: Python ships no German, Romanian, Bulgarian or Romani translation of them, so the
command line said "usage:", "options" and "the following arguments are required" in English
in the middle of a translated help or error.

argparse looks its `_` and `ngettext` up as module globals at call time; `translate_argparse()`
points them at ours. The list below only exists so that extraction puts these msgids (exactly
as argparse of Python 3.11 writes them) into the template.
"""

from __future__ import annotations

import argparse

from app.i18n import N_, _, ngettext

ARGPARSE_STRINGS = [
    N_("usage: "),
    N_("positional arguments"),
    N_("options"),
    N_("show this help message and exit"),
    N_("show program's version number and exit"),
    N_("unrecognized arguments: %s"),
    N_("not allowed with argument %s"),
    N_("the following arguments are required: %s"),
    N_("one of the arguments %s is required"),
    N_("expected one argument"),
    N_("expected at most one argument"),
    N_("expected at least one argument"),
    N_("ambiguous option: %(option)s could match %(matches)s"),
    N_("invalid %(type)s value: %(value)r"),
    N_("invalid choice: %(value)r (choose from %(choices)s)"),
    N_("argument %(argument_name)s: %(message)s"),
    N_("ignored explicit argument %r"),
]


def _plural_for_extraction(n: int) -> str:
    return ngettext("expected %s argument", "expected %s arguments", n)


def translate_argparse() -> None:
    """Make argparse translate through the application's catalogs (current language)."""
    argparse._ = _  # type: ignore[attr-defined]
    argparse.ngettext = ngettext  # type: ignore[attr-defined]
