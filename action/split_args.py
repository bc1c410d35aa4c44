"""Which words of the action's `args` input go to `icsync plan` and which to `icsync apply`.

  split_args.py plan|apply WORD...   print the words that command takes, each ended by a NUL

Read from icsync's own click definition, so that no list of apply-only flags is kept by hand: an
option goes to each of the two commands that has it (`--allow-replace` to apply only, `--target` to
both, `--query` to plan only), with its value. A word that is an option of neither, or no option at
all, goes to both, so that icsync itself reports it. Runs with the Python icsync is installed in.
"""

from __future__ import annotations

import sys

import click

from gitsync.cli import cli

COMMANDS = ("plan", "apply")


def options_of(command: click.Command) -> dict[str, bool]:
    """Each option string of `command` (`--timeout`, `-v`), and whether it takes a value."""
    found: dict[str, bool] = {}
    for param in command.params:
        if isinstance(param, click.Option):
            for name in param.opts + param.secondary_opts:
                found[name] = not (param.is_flag or param.count)
    return found


def words_for(name: str, words: list[str]) -> list[str]:
    """The words of `words` that `icsync NAME` takes, in their order."""
    mine = options_of(cli.commands[name])
    known = {option: takes for other in COMMANDS
             for option, takes in options_of(cli.commands[other]).items()}
    picked: list[str] = []
    index = 0
    while index < len(words):
        option, equals, _ = words[index].partition("=")
        takes_value = known.get(option, False) and not equals
        group = words[index:index + (2 if takes_value else 1)]
        if option in mine or option not in known:
            picked += group
        index += len(group)
    return picked


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write("".join(word + "\0" for word in words_for(argv[0], argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
