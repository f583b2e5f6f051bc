"""One error type for everything a user can get wrong, caught once at the top (cli/app.py).

Exit codes (documented in the README):
  0  success
  1  the command could not do what was asked (unknown customer, bad value, database problem)
  2  usage error (unknown option, missing argument) - raised by click itself
  3  import finished but some rows were rejected
  4  import read nothing usable (bad file, wrong encoding, no known header)
130  interrupted with ctrl-c (a change under way is rolled back)
"""

from __future__ import annotations

import sys

__all__ = ["FollowupError"]

EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_PARTIAL_IMPORT = 3
EXIT_NOTHING_IMPORTED = 4
EXIT_INTERRUPTED = 130
# What ctrl-c ends a command with (translated where it is shown).
INTERRUPTED = (
    "followup: interrupted (what was saved before stays; a change under way was rolled back)"
)

# A chain's server closed the connection part way (translated where it is shown).
SERVER_GONE = (
    "the database server went away ({detail}): what was saved before stays; the change "
    "under way was not saved"
)


class FollowupError(Exception):
    """A problem the user can fix; shown as one line on stderr, never a traceback."""

    exit_code = EXIT_FAILURE

    def __init__(self, message: str, exit_code: int = EXIT_FAILURE) -> None:
        super().__init__(message)
        self.message = message
        self.exit_code = exit_code

    def format_message(self) -> str:
        return self.message

    def show(self, file: object | None = None) -> None:
        from followup_cli.i18n import _
        from followup_cli.redact import scrub
        from followup_cli.text import for_stream, strip_controls

        one_line = " ".join(scrub(strip_controls(self.format_message())).split())
        said = _("followup: error: {message}").format(message=one_line)
        print(for_stream(said, sys.stderr), file=sys.stderr)
