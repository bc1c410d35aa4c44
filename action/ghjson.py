"""JSON chores for the action's bash scripts (standard library only, any Python 3.8+).

  plan-doc SAVED OUT   write the plan document of a saved plan to OUT; print env, has_changes,
                       has_destroy and the summary line, one per line
  drift-doc REPORT     print env(s), drifted, "false" and the summary line of a drift report
  pr-number            print the pull request number of $GITHUB_EVENT_PATH (empty if none)
  find-comment MARKER  read `gh api --paginate` comment pages on stdin; print the id of the
                       first comment whose body holds MARKER
  payload FILE         print {"body": <FILE's text>} as JSON (for `gh api --input`)
  clip LIMIT FILE      cut FILE to under LIMIT bytes at a line boundary, saying so at the end
"""

from __future__ import annotations

import json
import os
import sys


def _flag(value: object) -> str:
    return "true" if value else "false"


def _one_line(text: str) -> str:
    return " ".join(str(text).split())


def plan_doc(saved: str, out: str) -> None:
    with open(saved, encoding="utf-8") as handle:
        plan = json.load(handle)["plan"]
    with open(out, "w", encoding="utf-8") as handle:
        json.dump(plan, handle, indent=2)
        handle.write("\n")
    print(plan["environment"], _flag(plan["has_changes"]), _flag(plan["has_destroy"]),
          _one_line(plan["summary_line"]), sep="\n")


def drift_doc(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        report = json.load(handle)
    names = ",".join(env["environment"] for env in report["environments"]) or "none"
    print(names, _flag(report["drifted"]), "false", _one_line(report["summary_line"]), sep="\n")


def pr_number() -> None:
    path = os.environ.get("GITHUB_EVENT_PATH", "")
    if not path or not os.path.isfile(path):
        return
    with open(path, encoding="utf-8") as handle:
        event = json.load(handle)
    number = (event.get("pull_request") or {}).get("number") or event.get("number")
    if isinstance(number, int):
        print(number)


def _event() -> dict[str, object]:
    path = os.environ.get("GITHUB_EVENT_PATH", "")
    if not path or not os.path.isfile(path):
        return {}
    with open(path, encoding="utf-8") as handle:
        found = json.load(handle)
    return found if isinstance(found, dict) else {}


def run_footer() -> None:
    """The line that ends a comment: the commit planned (a pull request's head, not the merge
    commit GITHUB_SHA names there) and a link to the workflow run with the full log."""
    head = (_event().get("pull_request") or {}).get("head") or {}  # type: ignore[union-attr]
    sha = str(head.get("sha") or os.environ.get("GITHUB_SHA") or "")  # type: ignore[union-attr]
    server = os.environ.get("GITHUB_SERVER_URL", "https://github.com")
    repo, run = os.environ.get("GITHUB_REPOSITORY", ""), os.environ.get("GITHUB_RUN_ID", "")
    parts = [f"commit `{sha[:12]}`" if sha else ""]
    if repo and run:
        parts.append(f"[workflow run {run}]({server}/{repo}/actions/runs/{run}) (full log)")
    print("\n<sub>" + " · ".join(p for p in parts if p) + "</sub>" if any(parts) else "")


def labels_payload(*labels: str) -> None:
    print(json.dumps({"labels": list(labels)}))


def pages(text: str) -> list[object]:
    """`gh api --paginate` prints one JSON array per page, back to back."""
    decoder, items, index = json.JSONDecoder(), [], 0
    while index < len(text):
        if text[index].isspace():
            index += 1
            continue
        page, index = decoder.raw_decode(text, index)
        items += page if isinstance(page, list) else [page]
    return items


def find_comment(marker: str) -> None:
    for comment in pages(sys.stdin.read()):
        if isinstance(comment, dict) and marker in (comment.get("body") or ""):
            print(comment["id"])
            return


def payload(path: str) -> None:
    with open(path, encoding="utf-8") as handle:
        print(json.dumps({"body": handle.read()}))


def clip(limit: int, path: str) -> None:
    with open(path, "rb") as handle:
        data = handle.read()
    if len(data) < limit:
        return
    note = b"\n\n*... cut here: GitHub's size limit. The full plan is in the job log.*\n"
    cut = data[: limit - len(note) - 1]
    cut = cut[: cut.rfind(b"\n") + 1] if b"\n" in cut else cut
    with open(path, "wb") as handle:
        handle.write(cut.decode("utf-8", "ignore").encode("utf-8") + note)


def main(argv: list[str]) -> int:
    commands = {"plan-doc": (plan_doc, 2), "drift-doc": (drift_doc, 1), "pr-number": (pr_number, 0),
                "find-comment": (find_comment, 1), "payload": (payload, 1),
                "run-footer": (run_footer, 0)}
    if argv[:1] == ["labels-payload"]:
        labels_payload(*argv[1:])
        return 0
    if argv[:1] == ["clip"] and len(argv) == 3:
        clip(int(argv[1]), argv[2])
        return 0
    if not argv or argv[0] not in commands or len(argv) - 1 != commands[argv[0]][1]:
        print(__doc__, file=sys.stderr)
        return 2
    function, _ = commands[argv[0]]
    function(*argv[1:])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
