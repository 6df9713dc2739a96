"""argparse's own words on the command line (help headings, usage errors) come out in the
chosen language, through real `python -m app` processes: Python ships no translation of them."""

from __future__ import annotations

import subprocess

from helpers.factories import PYTHON, REPO, subprocess_env


def run_all(data_dir, *arg_lists) -> list[subprocess.CompletedProcess]:
    env = subprocess_env(data_dir)
    started = [subprocess.Popen([PYTHON, "-m", "app", *args], cwd=REPO, env=env, stdin=subprocess.DEVNULL,
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for args in arg_lists]
    results = []
    for process in started:
        out, err = process.communicate(timeout=60)
        results.append(subprocess.CompletedProcess(process.args, process.returncode, out, err))
    return results


def test_help_and_usage_errors_in_the_chosen_language(data_dir):
    helptext, missing, choice, english = run_all(
        data_dir, ["--lang", "bg", "--help"], ["--lang", "ro", "report"], ["--lang", "de", "bogus"],
        ["--lang", "en", "report"])
    assert helptext.returncode == 0
    assert helptext.stdout.startswith("употреба: mediatorlog")
    assert "\nопции:\n" in helptext.stdout
    assert "показва тази помощ и излиза" in helptext.stdout
    assert "показва версията на програмата и излиза" in helptext.stdout
    assert "show" not in helptext.stdout
    for result, fragment in ((missing, "următoarele argumente sunt obligatorii: --from, --to, --format, --out"),
                             (choice, "ungültige Auswahl: 'bogus'"),
                             (english, "the following arguments are required: --from")):
        assert result.returncode == 1 and result.stdout == ""
        assert len(result.stderr.strip().splitlines()) == 1 and fragment in result.stderr, result.stderr
