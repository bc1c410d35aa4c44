"""`drift --report-issue`: one GitHub issue per environment, opened or updated on drift, closed
when the drift is gone. It shells out to the GitHub CLI (`gh`), which brings its own auth
(GH_TOKEN in Actions) and repository detection (GH_REPO, else the git remote)."""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass

from gitsync.drift import DriftReport, EnvironmentDrift
from gitsync.errors import IcsyncError
from gitsync.views import drift_markdown

TIMEOUT_SECONDS = 120


class GitHubCliError(IcsyncError):
    """`gh` is missing, or it refused a call."""


@dataclass(frozen=True)
class Issue:
    number: int
    title: str


def title(env: EnvironmentDrift) -> str:
    return f"icsync drift: {env.environment}"


def marker(env: EnvironmentDrift) -> str:
    """Hidden in the body so that an issue whose title someone edited is still found."""
    return f"<!-- icsync:drift:{env.project}:{env.environment} -->"


def gh(*args: str, stdin: str | None = None) -> str:
    executable = shutil.which("gh")
    if executable is None:
        raise GitHubCliError("--report-issue needs the GitHub CLI `gh` on PATH, authenticated "
                             "(in GitHub Actions: env GH_TOKEN: ${{ github.token }}, permission "
                             "issues: write)")
    try:
        done = subprocess.run([executable, *args], input=stdin, capture_output=True, text=True,
                              timeout=TIMEOUT_SECONDS, check=False)
    except subprocess.TimeoutExpired:
        raise GitHubCliError(f"`gh {' '.join(args[:2])}` did not answer in "
                             f"{TIMEOUT_SECONDS}s") from None
    if done.returncode != 0:
        raise GitHubCliError(f"`gh {' '.join(args[:2])}` failed (exit {done.returncode}): "
                             f"{done.stderr.strip() or done.stdout.strip()}")
    return done.stdout


def find(env: EnvironmentDrift) -> Issue | None:
    search = f'"{title(env)}" in:title'
    found = json.loads(gh("issue", "list", "--state", "open", "--search", search,
                          "--json", "number,title,body", "--limit", "100") or "[]")
    for item in found:
        if item.get("title") == title(env) or marker(env) in (item.get("body") or ""):
            return Issue(int(item["number"]), str(item["title"]))
    return None


def body(env: EnvironmentDrift) -> str:
    return (marker(env) + "\n" + drift_markdown.render(DriftReport((env,)))
            + "\n*Opened by `icsync drift --report-issue`; it closes itself once live state "
              "matches git again.*\n")


def report(env: EnvironmentDrift) -> str:
    """Bring the environment's issue in line with its drift; say what was done."""
    issue = find(env)
    if env.drifted and issue is None:
        url = gh("issue", "create", "--title", title(env), "--body-file", "-", stdin=body(env))
        return f"opened {url.strip()}"
    if env.drifted and issue is not None:
        gh("issue", "edit", str(issue.number), "--body-file", "-", stdin=body(env))
        return f"updated issue #{issue.number}"
    if issue is not None:
        gh("issue", "close", str(issue.number), "--comment",
           f"No drift any more in `{env.environment}`: live state matches git.")
        return f"closed issue #{issue.number}"
    return "no drift, no open issue"
