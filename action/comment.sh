#!/usr/bin/env bash
# Create or update ONE pull request comment, found by a hidden marker, with `gh api`.
# Usage: comment.sh PR_NUMBER MARKER BODY_FILE
# Needs GH_TOKEN with `pull-requests: write` and GITHUB_REPOSITORY (owner/name).
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${ICSYNC_ACTION_PYTHON:-python3}"
pr="$1"
marker="$2"
body_file="$3"
repo="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must be owner/name}"

if ! command -v gh >/dev/null; then
  echo "::warning title=icsync action::the GitHub CLI (gh) is not on PATH; no pull request comment"
  exit 0
fi

payload="$(mktemp)"
trap 'rm -f "$payload"' EXIT
"$python" "$here/ghjson.py" payload "$body_file" >"$payload"

existing="$(gh api --paginate "repos/$repo/issues/$pr/comments?per_page=100" |
  "$python" "$here/ghjson.py" find-comment "$marker")"

if [[ -n "$existing" ]]; then
  gh api --method PATCH "repos/$repo/issues/comments/$existing" --input "$payload" >/dev/null
  echo "Updated the icsync comment on pull request #$pr"
else
  gh api --method POST "repos/$repo/issues/$pr/comments" --input "$payload" >/dev/null
  echo "Added an icsync comment to pull request #$pr"
fi
