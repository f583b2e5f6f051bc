"""Help pages in the chosen language, lined up by terminal columns.

Help texts are written in English in the code. Each command's own texts (help, options,
arguments) are translated on the command objects; the words the parser lays out itself
(Usage, Options, [default: ...], <int> ...) are swapped on the finished page, which the
command's context hands out (`FollowupContext.get_help`). Chinese characters take two
columns: `ColumnFormatter` measures and wraps by columns, through the context's
`formatter_class`. No module-level patching of Typer or of the click it vendors.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from typing import Any

import typer

from followup_cli.i18n import N_, _, language

_BY_HELP_IN_A_CHAIN = N_(
    "Break down by tier, owner, branch, channel, month or segment (repeatable)."
)


def show_chain_options(group: Any, chain: bool) -> None:
    """A single shop never reads the word branch in help: the --branch options show only in
    a chain's help (they work everywhere), and `report --by` names branch only there."""
    for command in group.commands.values():
        for param in command.params:
            optional_branch = param.name == "branch" and not param.required
            if optional_branch and getattr(param, "opts", None) == ["--branch"]:
                param.hidden = not chain
            if chain and param.name == "by":
                param.help = _BY_HELP_IN_A_CHAIN
        if hasattr(command, "commands"):
            show_chain_options(command, chain)


def localise_help(command: Any) -> None:
    """Show the help of this command (and those under it) in the chosen language."""
    if language() == "en":
        return
    from followup_cli.wording import argument_name

    command.context_class = FollowupContext
    if command.help:
        command.help = _(command.help)
    if command.short_help:
        command.short_help = _(command.short_help)
    elif command.help and not command.help.isascii():
        # click shortens by characters and spaces, which Chinese has few of: its first sentence
        command.short_help = command.help.split("\n\n")[0].split("。")[0].replace("\n", "")
    for param in command.params:
        if getattr(param, "help", None):
            param.help = _(param.help)
        if param.param_type_name == "argument" and param.metavar is None:
            param.metavar = argument_name(param.name)
    for sub in getattr(command, "commands", {}).values():
        localise_help(sub)


_HELP_PAGE_WORDS = (
    ("Usage: ", N_("Usage: ")),
    ("[OPTIONS]", N_("[OPTIONS]")),
    ("COMMAND [ARGS]...", N_("COMMAND [ARGS]...")),
    ("[required]", N_("[required]")),
    ("[default: ", N_("[default: ")),
    ("<list[str]>", N_("<text>")),  # typer 0.29 names a repeatable option's type so
    ("<str>", N_("<text>")),
    ("<int>", N_("<number>")),
    ("<int range>", N_("<number>")),
    ("<path>", N_("<file>")),
    ("<boolean>", N_("<yes/no>")),
    ("Show this message and exit.", N_("Show this message and exit.")),
)

# Typer's own words, as they reach the page (kept in the catalogue with their translations)
_TYPER_WORDS = (
    N_("default: {default}"),
    N_("required"),
    N_("Options"),
    N_("Arguments"),
    N_("Commands"),
)

_HELP_PAGE_HEADINGS = {
    "Arguments:": N_("Arguments:"),
    "Options:": N_("Options:"),
    "Commands:": N_("Commands:"),
}


def localise_help_page(page: str) -> str:
    """Click lays help out in English; swap its words, keeping the option column aligned."""
    # click's own help option, wrapped or not
    page = re.sub(r"Show\s+this\s+message\s+and\s+exit\.", _("Show this message and exit."), page)
    for english, sentence in _HELP_PAGE_WORDS:
        shown = _(sentence)
        extra = display_width(shown) - len(english)
        pattern = re.compile(re.escape(english) + "( *)")

        def swap(match: re.Match[str], shown: str = shown, extra: int = extra) -> str:
            spaces = len(match.group(1))
            if spaces < 2:  # within a sentence, not before a column
                return shown + match.group(1)
            return shown + " " * max(1, spaces - extra)

        page = pattern.sub(swap, page)
    headings = {_(name) + ":" for name in _TYPER_WORDS[2:]}
    lines = page.split("\n")
    return "\n".join(
        _(_HELP_PAGE_HEADINGS[line])
        if line in _HELP_PAGE_HEADINGS
        else line[:-1] + "："
        if line in headings
        else line
        for line in lines
    )


def display_width(text: str) -> int:
    """Columns on a terminal: Chinese characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def _by_columns(text: str, room: int) -> str:
    """Paragraphs with Chinese in them wrapped here by columns, and marked (`\\b`) as already
    wrapped for click, which wraps by characters; English paragraphs are left to click."""
    from followup_cli.output.table import break_lines

    if text.isascii():
        return text
    paragraphs = []
    for block in text.split("\n\n"):
        lines = block.splitlines()
        if not lines or lines[0].strip() == "\b" or block.isascii():
            paragraphs.append(block)
            continue
        indent = len(lines[0]) - len(lines[0].lstrip())
        joined = ""
        for line in (line.strip() for line in lines):
            gap = " " if joined and (joined[-1].isascii() or line[:1].isascii()) else ""
            joined += gap + line
        shown = break_lines(joined, max(10, room - indent))
        paragraphs.append("\b\n" + "\n".join(" " * indent + line for line in shown))
    return "\n\n".join(paragraphs)


class ColumnFormatter(typer.Context.formatter_class):  # type: ignore[misc,name-defined]
    """Click's help formatter, measuring and wrapping by terminal columns where Chinese is."""

    def write_text(self, text: str) -> None:
        super().write_text(_by_columns(text, max(10, self.width - self.current_indent)))

    def write_dl(
        self, rows: Sequence[tuple[str, str]], col_max: int = 30, col_spacing: int = 2
    ) -> None:
        """Click's definition list (options, commands), its first column measured in columns."""
        from followup_cli.text import text_width

        rows = list(rows)
        first_col = min(max((text_width(row[0]) for row in rows), default=0), col_max)
        first_col += col_spacing
        room = max(self.width - first_col - 2, 10)
        for first, second in rows:
            self.write(f"{'':>{self.current_indent}}{first}")
            if not second:
                self.write("\n")
                continue
            if text_width(first) <= first_col - col_spacing:
                self.write(" " * (first_col - text_width(first)))
            else:
                self.write("\n" + " " * (first_col + self.current_indent))
            lines = _wrapped(_marks_in_language(second), room).splitlines() or [""]
            self.write(f"{lines[0]}\n")
            for line in lines[1:]:
                self.write(f"{'':>{first_col + self.current_indent}}{line}\n")


def _marks_in_language(text: str) -> str:
    """An option's [default: ...] and [required] in the chosen language, before it is wrapped
    (wrapped first, `[default:` and its value may end up on two lines)."""
    for english in ("[default: ", "[required]"):
        text = text.replace(english, _(dict(_HELP_PAGE_WORDS)[english]))
    # typer 0.29 joins a range and required: [1<=x<=9; required]
    return text.replace("; required]", "; " + _("required") + "]")


def _wrapped(text: str, width: int) -> str:
    """A definition's text wrapped to `width` as click wraps it, by columns where Chinese."""
    formatter = typer.Context.formatter_class(width=width)
    formatter.write_text(_by_columns(text, width))
    return formatter.getvalue()


class FollowupContext(typer.Context):
    """A command's context whose help page is in the chosen language."""

    formatter_class = ColumnFormatter

    def get_help(self) -> str:
        return localise_help_page(super().get_help())
