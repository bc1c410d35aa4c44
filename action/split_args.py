"""The action's `args` input as words, and which of them go to `icsync plan` and `icsync apply`.

  split_args.py words ARGS           ARGS split as a POSIX shell would (quotes honoured, nothing
                                     expanded or run: shlex), each word ended by a NUL
  split_args.py plan|apply WORD...   print the words that command takes, each ended by a NUL

Read from icsync's own click definition, so that no list of apply-only flags is kept by hand: an
option goes to each of the two commands that has it (`--allow-replace` to apply only, `--target` to
both, `--query` to plan only), with its value. A word that is an option of neither, or no option at
all, goes to both, so that icsync itself reports it. Runs with the Python icsync is installed in.
"""

from __future__ import annotations

import shlex
import sys

import click

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
    from gitsync.cli import cli  # here: `words` must work before icsync is installed

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


def words(text: str) -> list[str]:
    """`--target 'prod-*' --exclude "a b"` -> ['--target', 'prod-*', '--exclude', 'a b']: the
    quoting rules of a shell, with no variable, glob or command expanded (shlex, POSIX mode)."""
    return shlex.split(text, comments=False, posix=True)


def main(argv: list[str]) -> int:
    if argv[:1] == ["words"] and len(argv) == 2:
        try:
            sys.stdout.write("".join(word + "\0" for word in words(argv[1])))
        except ValueError as error:  # an unclosed quote
            print(f"input 'args': {error} in {argv[1]!r}", file=sys.stderr)
            return 1
        return 0
    if not argv or argv[0] not in COMMANDS:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write("".join(word + "\0" for word in words_for(argv[0], argv[1:])))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
