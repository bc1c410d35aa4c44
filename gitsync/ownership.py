"""Who owns a component: the `icsync:project` and `icsync:environment` tags apply writes.

A component another project or environment owns is never updated or deleted by this one (as
Terraform refuses a resource another state manages): the plan fails naming the owner, unless
`--adopt NAME` takes it over. A component nobody owns is adopted by its first apply, whether or
not its spec changes: that apply adds this project's ownership tags and the record of what the
manifest sets (`applied.py`), which the three-way diff needs. `icsync import` adopts what it
imports at once, so that a plan right after it says "No changes.".
"""

from __future__ import annotations

from collections.abc import Iterable

from gitsync.errors import OwnershipError
from gitsync.state import ENVIRONMENT_TAG, PROJECT_TAG, LiveState


def owner(tags: dict[str, str]) -> tuple[str, str] | None:
    """(project, environment) as apply writes them, both; None when the component has no owner.
    A lone project or environment tag is not ownership icsync wrote (a hand-made tag)."""
    project, environment = tags.get(PROJECT_TAG), tags.get(ENVIRONMENT_TAG)
    return (project, environment) if project is not None and environment is not None else None


def foreign_owner(tags: dict[str, str], project: str, environment: str) -> tuple[str, str] | None:
    found = owner(tags)
    return found if found is not None and found != (project, environment) else None


def check(names: Iterable[str], live: LiveState, project: str, environment: str,
          adopt: tuple[str, ...]) -> None:
    """Refuse a plan whose manifests name components another project or environment owns."""
    wanted = set(names)
    unknown = sorted(set(adopt) - wanted)
    if unknown:
        raise OwnershipError(f"--adopt {', '.join(unknown)}: no manifest of environment "
                             f"`{environment}` names {'it' if len(unknown) == 1 else 'them'}; "
                             "nothing was sent to AWS.")
    taken = []
    for name in sorted(wanted - set(adopt)):
        found = live.components.get(name)
        other = foreign_owner(found.tags, project, environment) if found else None
        if other is not None:
            taken.append(f"  {name}: owned by project `{other[0]}`, environment `{other[1]}`")
    if taken:
        raise OwnershipError(
            f"these components belong to another project or environment, not `{project}`/"
            f"`{environment}`; icsync will not change them:\n" + "\n".join(taken) + "\n"
            "Take one over with `--adopt NAME` (on plan and apply), or rename it in the manifest. "
            "Nothing was sent to AWS.")
