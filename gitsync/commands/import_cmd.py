"""`icsync import`: write manifests and values for the live components, in the project's layout."""

from __future__ import annotations

import io
from pathlib import PurePosixPath
from typing import Any

import click
from ruamel.yaml import YAML

from gitsync import (
    autoscaling,
    aws,
    gather,
    importer,
    live,
    ownership,
    planner,
    preflight,
    tag_calls,
)
from gitsync.commands import common
from gitsync.errors import AwsError, ConfigError, ExitCode
from gitsync.manifests.options import Options
from gitsync.manifests.project import PROJECT_FILE, Environment, Project, load_project
from gitsync.planner import PlanSettings
from gitsync.redact import REDACT
from gitsync.settings import Settings
from gitsync.state import LiveComponent, LiveScaling


def run(settings: Settings, endpoints: tuple[str, ...], manifests_only: bool = False) -> int:
    """Import, then adopt what was imported and nobody owned (or `--adopt` names): its ownership
    tags and the record of the fields its manifest sets (`applied.py`), as Terraform's import
    records a resource in its state, so that a plan right after says "No changes." and later plans
    tell AWS's defaults from fields removed. `manifests_only` leaves the tags alone: the first
    apply adopts the components then. A component another project or environment owns is left out
    unless `--adopt` names it."""
    if not settings.environment:
        raise ConfigError("choose the environment the live components belong to with --env NAME")
    if not (settings.project_dir / PROJECT_FILE).is_file():
        _new_project(settings)
    project = load_project(settings.project_dir)
    REDACT.reset(project.secret_pattern)
    environment = project.environment(settings.environment)
    with common.connect(settings, common.Context(project, environment, [])) as clients:
        names = [s["InferenceComponentName"] for s in aws.list_components(clients)
                 if (not endpoints or s["EndpointName"] in endpoints)
                 and common.selected(s["InferenceComponentName"], settings)]
        state = live.fetch(clients, names, (), settings.read_parallelism, with_unlisted=False,
                           rate=settings.read_rate)
        unknown = sorted(set(settings.adopt) - set(state.components))
        if unknown:
            raise ConfigError(f"--adopt {', '.join(unknown)}: no live component of that name was "
                              "listed; nothing was written or sent to AWS")
        me = (project.name, environment.name)
        components = {name: c for name, c in state.components.items()
                      if _importable(name, c.tags, me, settings.adopt)}
        scaling = gather.read_autoscaling(clients, sorted(components))
        for component in components.values():
            REDACT.add_document(component.describe)
        views = {name: _autoscaling(name, scaling.get(name)) for name in components}
        imported = [importer.import_component(c.describe, c.tags, environment.name, project.secret_pattern,
                                              views[name])
                    for name, c in components.items()]
        conflicts = _write(project, environment, imported)
        conflicts += _unloaded(project, [i for i in imported if i.name not in conflicts])
        unadopted = [] if manifests_only else _adopt(
            clients, [i for i in imported if i.name not in conflicts], components, me,
            {name for name, view in views.items() if view is not None})
    return ExitCode.ERROR if conflicts or unadopted else ExitCode.OK


def _importable(name: str, tags: dict[str, str], me: tuple[str, str], adopt: tuple[str, ...]) -> bool:
    other = ownership.foreign_owner(tags, *me)
    if other is None or name in adopt:
        return True
    click.echo(f"{name}: owned by project `{other[0]}`, environment `{other[1]}`; not imported "
               "(`--adopt NAME` takes it over)", err=True)
    return False


def _adopt(clients: aws.Clients, imported: list[importer.Imported], components: dict[str, LiveComponent],
           me: tuple[str, str], autoscaled: set[str]) -> list[str]:
    """Tag each imported component this project and environment do not own yet (with the
    autoscaling mark when its autoscaling was imported, as apply marks what it autoscales); the
    names left unadopted when AWS refuses a tag call (the first refusal stops the rest, said on
    stderr)."""
    project, environment = me
    owners = {t["Key"]: t["Value"] for t in planner.owner_tags(PlanSettings(environment, project), Options())}
    pending = [i for i in imported if ownership.owner(components[i.name].tags) != me]
    crowded: list[str] = []
    for done, item in enumerate(pending):
        found = components[item.name]
        arn = found.describe["InferenceComponentArn"]
        marked = {autoscaling.MARK_TAG: "true"} if item.name in autoscaled else {}
        calls = tag_calls.merged(arn, (), found.tags, owners | item.record | marked,
                                 (planner.PRUNE_TAG, planner.WAVE_TAG))  # another owner's options
        count = len(preflight.tags_after(set(found.tags), calls))
        if count > preflight.TAG_LIMIT:
            crowded.append(item.name)
            click.echo(f"{item.name}: not adopted: it would carry {count} tags, more than the "
                       f"{preflight.TAG_LIMIT} AWS allows a resource; remove {count - preflight.TAG_LIMIT} "
                       "of its tags (live and in its manifest), then import again", err=True)
            continue
        try:
            for call in calls:
                aws.send(clients, call.operation, call.params)
        except AwsError as error:
            left = crowded + [i.name for i in pending[done:]]
            click.echo(f"{item.name}: not adopted: {error}\nNot adopted: {', '.join(left)}. Their "
                       "manifests are written; the first apply adopts them (it needs sagemaker:AddTags "
                       "too), or run import again once the tags can be written.", err=True)
            return left
        click.echo(f"{item.name}: adopted (tagged as owned by project `{project}`, environment "
                   f"`{environment}`)")
    return crowded


def _unloaded(project: Project, imported: list[importer.Imported]) -> list[str]:
    """The names whose written manifest the project's `manifests` globs do not find (a glob such
    as components/svc-*.yaml): left unadopted, since no plan would see them and `--prune` would
    delete what import adopted."""
    folder, suffix = manifest_folder(project)
    loaded = {path.resolve() for path in project.manifest_files()}
    out = []
    for item in imported:
        relative = (folder / f"{item.stem}{suffix}").as_posix()
        if (project.root / relative).resolve() not in loaded:
            out.append(item.name)
            click.echo(f"{relative}: not found by the project's `manifests` globs "
                       f"({', '.join(project.manifests)}): {item.name} is not adopted (no plan would "
                       "see it, and --prune would delete it); add a glob that finds the file, or move "
                       "it where one does, then import again", err=True)
    return out


def _autoscaling(name: str, found: LiveScaling | None) -> dict[str, Any] | None:
    """The component's autoscaling as its manifest writes it. A scalable target without icsync's
    target-tracking policy is left out and named: a manifest's autoscaling is a target and its
    policy, and the target alone is another tool's to manage."""
    view = autoscaling.live_view(found)
    if view is not None and "target" not in view:
        click.echo(f"{name}: its scalable target has no `{autoscaling.POLICY_NAME}` policy; its "
                   "autoscaling is not imported (add `icsync: {autoscaling: ...}` to manage it)", err=True)
        return None
    return view


def _new_project(settings: Settings) -> None:
    environment: dict[str, str] = {"values": f"values/{settings.environment}.yaml"}
    if settings.region:
        environment["region"] = settings.region
    document = {"name": settings.project_dir.resolve().name, "manifests": ["components/*.yaml"],
                "environments": {settings.environment: environment}}
    settings.project_dir.mkdir(parents=True, exist_ok=True)
    (settings.project_dir / PROJECT_FILE).write_text(importer.yaml_text(document))
    click.echo(f"Created {PROJECT_FILE}.")


def manifest_folder(project: Project) -> tuple[PurePosixPath, str]:
    """Where the first `manifests` glob looks, and its file suffix: `components/*.yaml` ->
    (components, .yaml). Parts from the first wildcard on are dropped."""
    glob = PurePosixPath(project.manifests[0])
    suffix = ".yml" if glob.name.endswith(".yml") else ".yaml"
    parts = []
    for part in glob.parent.parts:
        if any(c in part for c in "*?["):
            break
        parts.append(part)
    return PurePosixPath(*parts) if parts else PurePosixPath("."), suffix


def _write(project: Project, environment: Environment, imported: list[importer.Imported]) -> list[str]:
    """Write each manifest; the names of those left out because their file differs."""
    folder, suffix = manifest_folder(project)
    conflicts: list[str] = []
    for item in imported:
        relative = (folder / f"{item.stem}{suffix}").as_posix()
        path = project.root / relative
        if path.is_file() and path.read_text() != item.text:
            conflicts.append(item.name)
            click.echo(f"{relative}: exists and differs from {item.name} as imported; left as it is "
                       "(move it away and import again to replace it)", err=True)
            continue
        state = "unchanged" if path.is_file() else "written"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(item.text)
        click.echo(f"{relative}: {state} ({item.name})")
        for key in item.secrets:
            click.echo(f"{relative}: Environment {key} looks secret: written as "
                       f'{{{{ env_var("{key}") }}}}, not in clear; export {key} before plan and apply',
                       err=True)
    _write_values(project, environment, [i for i in imported if i.name not in conflicts])
    return conflicts


def _write_values(project: Project, environment: Environment, imported: list[importer.Imported]) -> None:
    """Each copy count (and verbatim literal) into the environment's values file, keeping the rest."""
    if not imported:
        return
    if not environment.values_file:
        raise ConfigError(f"{project.root / PROJECT_FILE}: environment `{environment.name}` has no "
                          "values file; add `values: values/NAME.yaml` to it, then import again")
    path = project.root / environment.values_file
    yaml = YAML(typ="rt")
    data: Any = yaml.load(path.read_text()) if path.is_file() else None
    data = data if isinstance(data, dict) else {}
    for key, found in ((importer.COPIES_KEY, {i.stem: i.copies for i in imported if i.copies is not None}),
                       (importer.LITERALS_KEY, {k: v for i in imported for k, v in i.literals.items()})):
        if found:
            merged = data.get(key) if isinstance(data.get(key), dict) else {}
            merged.update(found)
            data[key] = merged
    path.parent.mkdir(parents=True, exist_ok=True)
    stream = io.StringIO()
    yaml.dump(data, stream)
    path.write_text(stream.getvalue())
    click.echo(f"{environment.values_file}: {len(imported)} component(s)' values")


