"""Click in bokmål: its own messages (usage, help, errors) and option names that show one language.

Click marks its texts for gettext (``_()`` and ``ngettext()``, looked up as module globals at call
time), so binding those names in Click's modules to this catalogue translates what a user sees
without a compiled message catalogue. A text missing here stays English; the CLI tests read the
help and error output and fail on the common English words.
"""

from __future__ import annotations

import importlib
from typing import Any

import click

CATALOGUE: dict[str, str] = {
    "Usage:": "Bruk:",
    "Options": "Valg",
    "Commands": "Kommandoer",
    "Positional arguments": "Argumenter",
    "Show this message and exit.": "Vis denne hjelpeteksten og avslutt.",
    "Show the version and exit.": "Vis versjonen og avslutt.",
    "%(prog)s, version %(version)s": "%(prog)s, versjon %(version)s",
    "Error: {message}": "Feil: {message}",
    "Try '{command} {option}' for help.": "Skriv «{command} {option}» for hjelp.",
    "Aborted!": "Avbrutt.",
    "Missing argument": "Mangler argument",
    "Missing option": "Mangler valg",
    "Missing parameter": "Mangler parameter",
    "Missing parameter: {param_name}": "Mangler parameter: {param_name}",
    "Missing {param_type}": "Mangler {param_type}",
    "Missing command.": "Mangler kommando.",
    "argument": "argument",
    "option": "valg",
    "parameter": "parameter",
    "No such command {name!r}.": "Ukjent kommando {name!r}.",
    "No such option {name!r}.": "Ukjent valg {name!r}.",
    "No such option: {name}": "Ukjent valg: {name}",
    "Option {name!r} does not take a value.": "Valget {name!r} tar ingen verdi.",
    "Option {name!r} requires an argument.": "Valget {name!r} trenger en verdi.",
    "Option {name!r} requires {nargs} arguments.": "Valget {name!r} trenger {nargs} verdier.",
    "Got unexpected extra argument ({args})": "Fikk et argument for mye ({args})",
    "Got unexpected extra arguments ({args})": "Fikk argumenter for mye ({args})",
    "Did you mean {possibility}?": "Mente du {possibility}?",
    "(Did you mean one of: {possibilities}?)": "(Mente du en av: {possibilities}?)",
    "Invalid value for {param_hint}: {message}": "Ugyldig verdi for {param_hint}: {message}",
    "Invalid value: {message}": "Ugyldig verdi: {message}",
    "{value!r} is not {choice}.": "{value!r} er ikke {choice}.",
    "{value!r} is not one of {choices}.": "{value!r} er ikke en av {choices}.",
    "{value!r} is not a valid {number_type}.": "{value!r} er ikke et gyldig {number_type}.",
    "integer": "heltall",
    "float": "desimaltall",
    "{value} is not in the range {range}.": "{value} er utenfor området {range}.",
    "{value!r} is not a valid boolean. Recognized values: {states}": "{value!r} er ikke ja/nei. Gyldige: {states}",
    "{name} {filename!r} does not exist.": "{name} {filename!r} finnes ikke.",
    "{name} {filename!r} is a file.": "{name} {filename!r} er en fil.",
    "{name} {filename!r} is a directory.": "{name} {filename!r} er en mappe.",
    "{name} {filename!r} is not readable.": "{name} {filename!r} kan ikke leses.",
    "{name} {filename!r} is not writable.": "{name} {filename!r} kan ikke skrives.",
    "file": "filen",
    "directory": "mappen",
    "path": "stien",
    "default: {default}": "standard: {default}",
    "required": "påkrevd",
    "unknown error": "ukjent feil",
    "Could not open file {filename!r}: {message}": "Kunne ikke åpne filen {filename!r}: {message}",
}
CLICK_MODULES = (
    "click.core",
    "click.exceptions",
    "click.types",
    "click.parser",
    "click.formatting",
    "click.decorators",
    "click.termui",
    "click.utils",
)


def gettext_nb(message: str) -> str:
    """Bokmål for one of Click's texts (unchanged when the catalogue lacks it)."""
    return CATALOGUE.get(message, message)


def ngettext_nb(singular: str, plural: str, n: int) -> str:
    """Bokmål for one of Click's singular/plural texts."""
    return gettext_nb(singular if n == 1 else plural)


def install() -> None:
    """Bind Click's ``_`` and ``ngettext`` to the bokmål catalogue (idempotent)."""
    for name in CLICK_MODULES:
        try:
            module = importlib.import_module(name)
        except ImportError:  # a Click version without this module
            continue
        if hasattr(module, "_"):
            module._ = gettext_nb
        if hasattr(module, "ngettext"):
            module.ngettext = ngettext_nb


class NbOption(click.Option):
    """An option whose first name (bokmål) is the only one shown in the help.

    Later names (English, older spellings) still work, so scripts written for them keep running.
    """

    def get_help_record(self, ctx: click.Context) -> tuple[str, str] | None:
        """The help line with only the first (bokmål) name of the option."""
        names, self.opts = self.opts, self.opts[:1]
        try:
            return super().get_help_record(ctx)
        finally:
            self.opts = names

    def get_error_hint(self, ctx: click.Context) -> str:
        """Name the option by its bokmål name in error messages."""
        return f"«{self.opts[0]}»"


def option(*names: str, **settings: Any) -> Any:
    """``click.option`` with :class:`NbOption`: the first name is the one shown."""
    return click.option(*names, cls=NbOption, **settings)
