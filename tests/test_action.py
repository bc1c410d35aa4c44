"""The composite action's scripts in a simulated runner against the sandbox, and their lint.

The runner is simulated the way GitHub runs a composite step: files for GITHUB_OUTPUT,
GITHUB_STEP_SUMMARY and GITHUB_EVENT_PATH, inputs as environment variables, and a stand-in `gh`
on PATH that records its arguments and keeps pull request comments in a JSON file.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from gitsync.views.capacity_view import MermaidIds, mermaid_text
from tests.helpers import Live, child_env, demo_project, icsync, project_of

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action"
SCRIPTS = sorted(ACTION.glob("*.sh"))
PR = 7
HEAD = "0123456789abcdef0123456789abcdef01234567"  # the pull request's head commit
MERGE = "fedcba9876543210fedcba9876543210fedcba98"  # GITHUB_SHA on pull_request: a merge commit

FAKE_GH = r'''
import json, os, sys
state_path = os.environ["FAKE_GH_STATE"]
with open(state_path) as handle:
    state = json.load(handle)
args = sys.argv[1:]
state["calls"].append(args)
if os.environ.get("FAKE_GH_DENY"):
    sys.exit("HTTP 403: Resource not accessible by integration")
out = ""
method = args[args.index("--method") + 1] if "--method" in args else "GET"
path = next(a for a in args[1:] if a.startswith("repos/"))
if args[0] != "api":
    sys.exit("stand-in gh: only `gh api` is served")
if "/labels" in path:
    labels = state.setdefault("labels", [])
    if method == "POST":
        labels += [l for l in json.load(open(args[args.index("--input") + 1]))["labels"] if l not in labels]
    elif method == "DELETE" and path.rsplit("/", 1)[1] in labels:
        labels.remove(path.rsplit("/", 1)[1])
    elif method == "DELETE":
        sys.exit("HTTP 404: Label does not exist")
elif method == "GET" and path.endswith("/comments?per_page=100"):
    # One comment per page, printed back to back, as `gh api --paginate` does.
    out = "".join(json.dumps([c]) for c in state["comments"])
elif method == "POST":
    body = json.load(open(args[args.index("--input") + 1]))["body"]
    comment = {"id": 1000 + len(state["comments"]), "body": body}
    state["comments"].append(comment)
    out = json.dumps(comment)
elif method == "PATCH":
    number = int(path.rsplit("/", 1)[1])
    body = json.load(open(args[args.index("--input") + 1]))["body"]
    [comment] = [c for c in state["comments"] if c["id"] == number]
    comment["body"] = body
    out = json.dumps(comment)
with open(state_path, "w") as handle:
    json.dump(state, handle)
sys.stdout.write(out)
'''


@dataclass
class Runner:
    """One simulated runner: a workspace, its files and the stand-in gh's state."""

    root: Path

    @property
    def gh_state(self) -> Path:
        return self.root / "gh.json"

    def comments(self) -> list[dict[str, Any]]:
        return list(json.loads(self.gh_state.read_text())["comments"])

    def gh_calls(self) -> list[list[str]]:
        return list(json.loads(self.gh_state.read_text())["calls"])

    def run(self, step: str = "run", event: str = "pull_request", **inputs: str) -> tuple[
            subprocess.CompletedProcess[str], dict[str, str], str]:
        files = {name: self.root / f"{name}.txt" for name in ("output", "summary")}
        for path in files.values():
            path.write_text("")
        event_file = self.root / "event.json"
        payload = ({"number": PR, "pull_request": {"number": PR, "head": {"sha": HEAD}}}
                   if event == "pull_request" else {})
        event_file.write_text(json.dumps(payload))
        environ = {**child_env(),
                   "PATH": os.pathsep.join([str(self.root / "bin"), str(Path(sys.executable).parent),
                                            os.environ["PATH"]]),
                   "GITHUB_OUTPUT": str(files["output"]), "GITHUB_STEP_SUMMARY": str(files["summary"]),
                   "GITHUB_EVENT_PATH": str(event_file), "GITHUB_EVENT_NAME": event,
                   "GITHUB_REPOSITORY": "octo/models", "RUNNER_TEMP": str(self.root / "runner-temp"),
                   "FAKE_GH_STATE": str(self.gh_state), "ICSYNC_ACTION_PYTHON": sys.executable,
                   # As on a runner: CI is set, and the run and the commit are named.
                   "CI": "true", "GITHUB_SHA": MERGE, "GITHUB_RUN_ID": "4242",
                   "GITHUB_SERVER_URL": "https://github.com"}
        environ |= {"INPUT_" + key.upper(): value for key, value in inputs.items()}
        done = subprocess.run(["bash", str(ACTION / "run.sh"), step], env=environ, cwd=self.root,
                              capture_output=True, text=True, timeout=120, check=False)
        outputs = dict(line.split("=", 1) for line in files["output"].read_text().splitlines())
        return done, outputs, files["summary"].read_text()


@pytest.fixture
def runner(tmp_path: Path) -> Runner:
    root = tmp_path / "workspace"
    (root / "bin").mkdir(parents=True)
    (root / "runner-temp").mkdir()
    gh = root / "bin" / "gh"
    gh.write_text(f"#!{sys.executable}\n{FAKE_GH}")
    gh.chmod(gh.stat().st_mode | stat.S_IEXEC)
    # Comments already on the pull request: a person's, and icsync's comment for another environment.
    (root / "gh.json").write_text(json.dumps({"calls": [], "comments": [
        {"id": 1, "body": "Looks good to me"},
        {"id": 2, "body": "<!-- icsync:plan:prod -->\n### icsync plan: `prod`"}]}))
    return Runner(root)


def inputs(live: Live, command: str = "plan", **extra: str) -> dict[str, str]:
    return {"command": command, "working_directory": "project", "environment": "dev",
            "args": f"--endpoint-url {live.url}", "comment_on_pr": "true", **extra}


def test_plan_on_a_pull_request_posts_then_edits_one_sticky_comment(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    project = demo_project(runner.root / "project")
    done, outputs, summary = runner.run(**inputs(live))
    assert done.returncode == 0, done.stderr
    assert set(outputs) == set(YAML(typ="safe", pure=True).load(ROOT / "action.yml")["outputs"])
    assert outputs["exitcode"] == "2"
    assert outputs["has-changes"] == "true"
    assert outputs["has-destroy"] == "false"
    assert outputs["summary"] == "Plan: 1 to create, 0 to update, 0 unchanged."
    plan = json.loads(Path(outputs["plan-json"]).read_text())
    assert plan["environment"] == "dev" and plan["has_changes"] is True
    assert summary.startswith("### icsync plan: `dev`")
    assert "<b>web</b> (ep): create" in summary
    [posted] = [c for c in runner.comments() if c["id"] > 2]
    assert posted["body"].startswith("<!-- icsync:plan:dev -->\n### icsync plan: `dev`")
    assert "CAUTION" not in posted["body"]
    assert [call[:3] for call in runner.gh_calls()] == [
        ["api", "--paginate", "repos/octo/models/issues/7/comments?per_page=100"],
        ["api", "--method", "POST"]]
    for text in (summary, posted["body"], done.stdout, done.stderr):
        assert "s3cr3t" not in text

    assert icsync("apply", "-C", project, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    component = project / "components" / "web.yaml"
    live.seed_endpoint("ep2", models=())  # a replacement: the component moves endpoint
    component.write_text(component.read_text().replace("EndpointName: ep", "EndpointName: ep2"))
    done, outputs, summary = runner.run(**inputs(live))
    assert done.returncode == 0, done.stderr
    assert outputs["has-destroy"] == "true"
    assert outputs["summary"].startswith("Plan: 0 to create, 0 to update, 1 to replace")
    comments = runner.comments()
    assert [c["id"] for c in comments] == [1, 2, 1002]
    edited = comments[2]["body"]
    assert edited.startswith("<!-- icsync:plan:dev -->\n")
    assert "> [!CAUTION]\n> This plan **deletes or replaces** 1 component(s): `web`" in edited
    assert comments[1]["body"].startswith("<!-- icsync:plan:prod -->")
    assert runner.gh_calls()[-1][:4] == ["api", "--method", "PATCH", "repos/octo/models/issues/comments/1002"]


def test_apply_on_push_applies_the_plan_it_shows_and_posts_nothing(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    demo_project(runner.root / "project")
    done, outputs, summary = runner.run(event="push", **inputs(live, "apply", comment_on_pr="false"))
    assert done.returncode == 0, done.stderr
    assert outputs["exitcode"] == "0"
    assert outputs["has-changes"] == "true"
    assert "<summary>icsync apply: exit 0</summary>" in summary
    assert live.client.describe_inference_component(InferenceComponentName="web")[
        "RuntimeConfig"]["DesiredCopyCount"] == 2
    assert runner.gh_calls() == []
    again, outputs, _ = runner.run(event="push", **inputs(live, "apply", comment_on_pr="false"))
    assert again.returncode == 0 and outputs["exitcode"] == "0" and outputs["has-changes"] == "false"
    assert outputs["summary"] == "No changes."


def test_apply_refusing_a_replacement_fails_the_step(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    project = demo_project(runner.root / "project")
    assert runner.run(event="push", **inputs(live, "apply", comment_on_pr="false"))[0].returncode == 0
    component = project / "components" / "web.yaml"
    live.seed_endpoint("ep2", models=())  # a replacement: the component moves endpoint
    component.write_text(component.read_text().replace("EndpointName: ep", "EndpointName: ep2"))
    done, outputs, summary = runner.run(event="push", **inputs(live, "apply", comment_on_pr="false"))
    assert done.returncode == 1
    assert outputs["exitcode"] == "1" and outputs["has-destroy"] == "true"
    assert "Pass --allow-replace to go ahead" in summary
    assert "::error title=icsync apply::icsync apply failed" in done.stdout


def test_apply_s_own_flags_reach_apply_only(runner: Runner, live: Live) -> None:
    """`--parallelism`, `--timeout` and `--max-deletes=N` are apply's: the plan step must not get them."""
    live.seed_endpoint()
    demo_project(runner.root / "project")
    args = f"--endpoint-url {live.url} --parallelism 2 --timeout 600 --max-deletes=5 --target web"
    done, outputs, summary = runner.run(event="push", **inputs(live, "apply", comment_on_pr="false",
                                                              args=args))
    assert done.returncode == 0, done.stderr
    assert outputs["exitcode"] == "0" and outputs["has-changes"] == "true"
    assert "<summary>icsync apply: exit 0</summary>" in summary


def split(command: str, *words: str) -> list[str]:
    done = subprocess.run([sys.executable, str(ACTION / "split_args.py"), command, *words],
                          capture_output=True, text=True, check=True)
    return done.stdout.split("\0")[:-1]


def test_split_args_routes_each_flag_to_the_commands_that_take_it() -> None:
    words = ["--target", "a*", "--timeout", "5", "--allow-replace", "--query", "x", "--max-deletes=4",
             "--nonsense", "-v"]
    assert split("plan", *words) == ["--target", "a*", "--query", "x", "--nonsense", "-v"]
    assert split("apply", *words) == ["--target", "a*", "--timeout", "5", "--allow-replace",
                                      "--max-deletes=4", "--nonsense", "-v"]


def test_every_apply_only_option_of_the_cli_is_kept_from_the_plan() -> None:
    """The list is the CLI's: any option apply gains that plan lacks is withheld from the plan."""
    import click

    from gitsync.cli import cli

    plan_options = {n for p in cli.commands["plan"].params for n in p.opts}
    apply_only = [p for p in cli.commands["apply"].params
                  if isinstance(p, click.Option) and not set(p.opts) & plan_options]
    assert {"--allow-replace", "--timeout", "--parallelism", "--auto-approve"} <= {
        n for p in apply_only for n in p.opts}
    words = [word for p in apply_only for word in [p.opts[-1], *([] if p.is_flag else ["1"])]]
    assert split("plan", *words) == []
    assert split("apply", *words) == words


def test_drift_reports_a_change_made_behind_icsyncs_back(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    project = demo_project(runner.root / "project")
    assert icsync("apply", "-C", project, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 9})
    done, outputs, summary = runner.run(event="schedule", **inputs(live, "drift", comment_on_pr="false"))
    assert done.returncode == 0, done.stderr
    assert outputs["exitcode"] == "2" and outputs["has-changes"] == "true"
    assert outputs["summary"] == "Drift: 1 modified (of 1 component(s))."
    report = json.loads(Path(outputs["plan-json"]).read_text())
    assert report["summary"]["modified"] == 1
    assert "`RuntimeConfig.CopyCount`: live `9`, git `2`" in summary


def test_a_failing_plan_fails_the_step_and_says_why_on_the_pull_request(runner: Runner, live: Live) -> None:
    demo_project(runner.root / "project")
    (runner.root / "project" / "components" / "web.yaml").write_text("InferenceComponentName: [\n")
    done, outputs, summary = runner.run(**inputs(live))
    assert done.returncode == 1
    assert outputs["exitcode"] == "1"
    assert "### icsync plan failed" in summary and "components/web.yaml" in summary
    [posted] = [c for c in runner.comments() if c["id"] > 2]
    assert "components/web.yaml" in posted["body"]


@pytest.mark.parametrize(("bad", "message"), [
    ({"command": "destroy"}, "input 'command' must be plan, apply or drift, not 'destroy'"),
    ({"working_directory": "nowhere"}, "input 'working-directory': 'nowhere' is not a folder"),
    ({"environment": "dev;rm -rf /"}, "input 'environment' must be one environment name"),
    ({"comment_on_pr": "yes"}, "input 'comment-on-pr' must be true or false, not 'yes'"),
])
def test_bad_inputs_fail_with_a_clear_message(runner: Runner, live: Live, bad: dict[str, str],
                                              message: str) -> None:
    demo_project(runner.root / "project")
    done, outputs, _ = runner.run("check", **{**inputs(live), **bad})
    assert done.returncode == 1
    assert f"::error title=icsync action::{message}" in done.stdout
    assert outputs == {}


def test_comment_on_pr_outside_a_pull_request_is_a_notice(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    demo_project(runner.root / "project")
    done, _, _ = runner.run(event="push", **inputs(live))
    assert done.returncode == 0, done.stderr
    assert "no pull request event; no comment" in done.stdout
    assert runner.gh_calls() == []


def test_a_comment_the_token_may_not_post_is_a_warning(runner: Runner, live: Live,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    live.seed_endpoint()
    demo_project(runner.root / "project")
    monkeypatch.setenv("FAKE_GH_DENY", "1")
    done, outputs, summary = runner.run(**inputs(live))
    assert done.returncode == 0, done.stderr
    assert outputs["exitcode"] == "2" and "<b>web</b> (ep): create" in summary
    assert "HTTP 403" in done.stderr
    assert "::warning title=icsync action::could not post the pull request comment" in done.stdout


@pytest.mark.parametrize("limit", [65000, 1000000])
def test_clip_keeps_comments_and_summaries_under_githubs_limits(tmp_path: Path, limit: int) -> None:
    body = tmp_path / "body.md"
    body.write_text("".join(f"| `row {i}` | é {'x' * 80} |\n" for i in range(limit // 40)))
    subprocess.run([sys.executable, str(ACTION / "ghjson.py"), "clip", str(limit), str(body)], check=True)
    text = body.read_text()
    assert len(text.encode()) < limit
    assert text.endswith("*... cut here: GitHub's size limit. The full plan is in the job log.*\n")


def test_install_refuses_a_version_that_is_not_a_version(tmp_path: Path) -> None:
    done = subprocess.run(["bash", str(ACTION / "install.sh")], capture_output=True, text=True, check=False,
                          env={**os.environ, "ACTION_PATH": str(ROOT),
                               "INPUT_ICSYNC_VERSION": "1.0; curl evil"})
    assert done.returncode == 1
    assert "input 'icsync-version' must be a version number such as 0.1.0" in done.stdout


def test_action_scripts_pass_shellcheck() -> None:
    shellcheck = shutil.which("shellcheck")
    if shellcheck is None:
        reason = "shellcheck is not installed (.ci/run installs it; locally: apt-get install shellcheck)"
        if os.environ.get("ICSYNC_REQUIRE_LINTERS"):
            pytest.fail(reason)
        pytest.skip(reason)
    assert SCRIPTS, "no scripts under action/"
    done = subprocess.run([shellcheck, "--shell=bash", "--severity=style", *map(str, SCRIPTS)],
                          capture_output=True, text=True, check=False)
    assert done.returncode == 0, done.stdout + done.stderr


def test_exported_credentials_win_over_the_projects_laptop_profile(tmp_path: Path, live: Live) -> None:
    """In CI the OIDC step exports credentials; a profile in icsync.yaml must not discard them."""
    live.seed_endpoint()
    root = demo_project(tmp_path / "project")
    (root / "icsync.yaml").write_text((root / "icsync.yaml").read_text()
                                      + "    profile: laptop-only\n")
    in_ci = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url)
    assert in_ci.code == 0, in_ci.all
    on_a_laptop = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url,
                         env={"AWS_ACCESS_KEY_ID": None, "AWS_SECRET_ACCESS_KEY": None})
    assert on_a_laptop.code == 1
    assert "AWS profile `laptop-only` is not configured" in on_a_laptop.err


def test_args_are_split_as_a_shell_would_and_nothing_is_evaluated(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    demo_project(runner.root / "project")
    args = f"--endpoint-url {live.url} --target 'we*' --exclude \"w eb\""
    done, outputs, _ = runner.run(**inputs(live, args=args))
    assert done.returncode == 1, done.stdout + done.stderr  # CI: a pattern matching nothing fails
    assert "--exclude 'w eb' matches no component" in done.stderr  # one word, quotes removed
    done, outputs, _ = runner.run(**inputs(live, args=f"--endpoint-url {live.url} --target 'we*'"))
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["exitcode"] == "2" and outputs["summary"].startswith("Plan: 1 to create")
    evaluated = runner.run(**inputs(live, args=f"--endpoint-url {live.url} --target \"$(touch pwned)\""))[0]
    assert "--target '$(touch pwned)' matches no component" in evaluated.stderr
    assert not (runner.root / "pwned").exists() and not (runner.root / "project" / "pwned").exists()
    unclosed = runner.run(**inputs(live, args="--target 'we*"))[0]
    assert unclosed.returncode == 1 and "No closing quotation" in unclosed.stderr


def test_a_target_matching_nothing_fails_in_ci_and_warns_on_a_terminal(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    project = demo_project(runner.root / "project")
    done, outputs, _ = runner.run(**inputs(live, args=f"--endpoint-url {live.url} --target prod-*"))
    assert done.returncode == 1 and outputs["exitcode"] == "1"
    assert "--target 'prod-*' matches no component of environment dev (web)" in done.stderr
    [posted] = [c for c in runner.comments() if c["id"] > 2]
    assert "<details open><summary>error</summary>" in posted["body"]  # errors are shown open
    here = icsync("plan", "-C", project, "--env", "dev", "--endpoint-url", live.url, "--target", "prod-*")
    assert here.code == 0 and "Warning: --target 'prod-*' matches no component" in here.err


def test_the_log_has_the_plan_and_the_comment_names_commit_and_run(runner: Runner, live: Live) -> None:
    live.seed_endpoint()
    demo_project(runner.root / "project")
    done, outputs, summary = runner.run(**inputs(live, labels="true"))
    assert done.returncode == 0, done.stderr
    assert "icsync plan for environment dev (project demo)" in done.stdout
    assert "+ web (ep): create" in done.stdout
    [posted] = [c for c in runner.comments() if c["id"] > 2]
    footer = ("<sub>commit `0123456789ab` · [workflow run 4242]"
              "(https://github.com/octo/models/actions/runs/4242) (full log)</sub>")
    assert posted["body"].rstrip().endswith(footer) and footer in summary
    assert "| action | count |\n|---|---|\n| create | 1 |" in posted["body"]
    saved = json.loads(Path(outputs["saved-plan"]).read_text())
    assert saved["kind"] == "icsync-saved-plan"
    assert Path(outputs["plan-json"]).parent == Path(outputs["saved-plan"]).parent  # one artifact
    assert json.loads(runner.gh_state.read_text())["labels"] == ["icsync:changes"]


def test_the_artifact_step_uploads_the_json_and_the_saved_plan() -> None:
    action = YAML(typ="safe", pure=True).load(ROOT / "action.yml")
    [upload] = [s for s in action["runs"]["steps"] if "upload-artifact" in str(s.get("uses"))]
    assert "steps.run.outputs.plan-json" in upload["with"]["path"]
    assert "steps.run.outputs.saved-plan" in upload["with"]["path"]
    assert action["inputs"]["saved-plan"]["default"] == ""  # the stated default: plan again


def test_apply_on_merge_applies_the_reviewed_plan_or_refuses_a_stale_one(runner: Runner,
                                                                         live: Live) -> None:
    live.seed_endpoint()
    project = demo_project(runner.root / "project")
    _, reviewed, _ = runner.run(**inputs(live))
    kept = runner.root / "reviewed.plan.json"
    kept.write_text(Path(reviewed["saved-plan"]).read_text())  # the downloaded artifact
    live.clear_log()
    done, outputs, summary = runner.run(event="push", **inputs(live, "apply", comment_on_pr="false",
                                                              saved_plan=str(kept)))
    assert done.returncode == 0, done.stdout + done.stderr
    assert outputs["exitcode"] == "0" and "the reviewed plan for <code>dev</code>" in summary
    assert "ListInferenceComponents" in live.operations()  # it re-read live state to check
    # Reviewed, then someone changes live state before the merge: the plan is stale, refused.
    assert icsync("apply", "-C", project, "--env", "dev", "--endpoint-url", live.url,
                  "--auto-approve").code == 0
    set_values_copies(project, 3)
    _, second, _ = runner.run(**inputs(live))
    kept.write_text(Path(second["saved-plan"]).read_text())
    live.client.update_inference_component_runtime_config(
        InferenceComponentName="web", DesiredRuntimeConfig={"CopyCount": 5})
    stale, outputs, summary = runner.run(event="push", **inputs(live, "apply", comment_on_pr="false",
                                                                saved_plan=str(kept)))
    assert stale.returncode == 1 and outputs["exitcode"] == "1"
    assert "<details open><summary>icsync apply: exit 1</summary>" in summary
    assert "plan is stale; nothing was applied" in summary
    assert "web: live state changed since the plan was made" in summary


def set_values_copies(project: Path, copies: int) -> None:
    values = project / "values" / "dev.yaml"
    values.write_text(values.read_text().replace("copies: 2", f"copies: {copies}"))


def mermaid_block(markdown: str) -> list[str]:
    start = markdown.index("```mermaid\n")
    return markdown[start:markdown.index("```\n", start + 3)].splitlines()[1:]


def test_the_diagram_summarises_per_endpoint_above_30_components(tmp_path: Path, live: Live) -> None:
    live.seed_endpoint()
    names = [f"c{n:02}" for n in range(31)]
    root = project_of(tmp_path / "p", names)
    big = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", live.url, "--output", "markdown")
    lines = mermaid_block(big.out)
    assert lines[0] == "flowchart LR" and not any("subgraph" in line for line in lines)
    [node] = [line for line in lines[1:]]
    assert node.endswith('<br/>31 components: 31 create"]')
    small = icsync("plan", "-C", project_of(tmp_path / "q", names[:30]), "--env", "dev",
                   "--endpoint-url", live.url, "--output", "markdown")
    assert sum("subgraph" in line for line in mermaid_block(small.out)) == 1
    assert sum('["c' in line for line in mermaid_block(small.out)) == 30


# The escaping rules, quickly (tests/test_mermaid.py renders them with Mermaid in Chromium): a
# label is one double-quoted string of ASCII letters, digits, ` -_./,()` and `#N;` codes for the rest;
# an id is letters, digits and `_`, and `end` (or any keyword) as an id breaks a flowchart.
@pytest.mark.parametrize("name", ['a"b', "x<script>y", "#1 model", "end", "graph", "a-b", "a_b", "ünï",
                                  "&lt;", "%%{init: {}}%%", "$$x$$", "`md`", "style:x#y"])
def test_mermaid_labels_and_ids_are_escaped(name: str) -> None:
    label = mermaid_text(name)
    assert re.fullmatch(r"([A-Za-z0-9 _./,()-]|#\d+;)*", label), label  # no " < > & % $ or backtick bare
    shown = re.sub(r"#(\d+);", lambda code: chr(int(code[1])), label).replace("\u2060", "")
    assert shown == name
    ids = MermaidIds()
    first, other = ids(name), ids(name.replace("-", "_") + ("" if "-" in name else "-"))
    assert re.fullmatch(r"n_[A-Za-z0-9_]+", first) and first != other
    assert first not in ("end", "graph", "subgraph")
