#!/usr/bin/env bash
# The icsync action's main step: validate the inputs, run icsync, publish outputs, the step
# summary and (on pull requests) one sticky comment per environment.
#
# Usage: run.sh check   validate the inputs only (the action's first step)
#        run.sh run     validate, then run
# Inputs come as INPUT_* environment variables, never spliced into the script text, so that no
# input can inject shell code. Nothing here echoes variables that could hold secrets: icsync masks
# secret values in every plan it prints.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
python="${ICSYNC_ACTION_PYTHON:-python3}"
# GitHub refuses a step summary over 1 MiB: stay clearly under it.
summary_limit=1000000
comment_limit=65000

command="${INPUT_COMMAND:-plan}"
workdir="${INPUT_WORKING_DIRECTORY:-.}"
environment="${INPUT_ENVIRONMENT:-}"
comment_on_pr="${INPUT_COMMENT_ON_PR:-false}"
raw_args="${INPUT_ARGS:-}"
saved_plan="${INPUT_SAVED_PLAN:-}"
labels="${INPUT_LABELS:-false}"

fail() {
  echo "::error title=icsync action::$1"
  exit 1
}

validate() {
  case "$command" in
    plan | apply | drift) ;;
    *) fail "input 'command' must be plan, apply or drift, not '$command'" ;;
  esac
  if [[ ! -d "$workdir" ]]; then
    fail "input 'working-directory': '$workdir' is not a folder (is the repository checked out?)"
  fi
  if [[ ! -f "$workdir/icsync.yaml" ]]; then
    fail "input 'working-directory': '$workdir' has no icsync.yaml"
  fi
  if [[ -n "$environment" && ! "$environment" =~ ^[A-Za-z0-9_.-]+$ ]]; then
    fail "input 'environment' must be one environment name from icsync.yaml (letters, digits, . _ -), not '$environment'"
  fi
  case "$comment_on_pr" in
    true | false) ;;
    *) fail "input 'comment-on-pr' must be true or false, not '$comment_on_pr'" ;;
  esac
  case "$labels" in
    true | false) ;;
    *) fail "input 'labels' must be true or false, not '$labels'" ;;
  esac
  if [[ -n "$saved_plan" && "$command" != apply ]]; then
    fail "input 'saved-plan' is for command apply, not $command"
  fi
  if [[ -n "$saved_plan" && ! -f "$saved_plan" ]]; then
    fail "input 'saved-plan': '$saved_plan' is not a file (was the pull request's plan artifact downloaded?)"
  fi
}

output() {
  # One key=value line each; values are single lines by construction.
  echo "$1=$2" >>"${GITHUB_OUTPUT:-/dev/null}"
}

# 0 and 2 are answers (nothing to do; changes or drift); any other code (1 error, 3 an unexpected
# error, 130 interrupted) means icsync failed.
failed() {
  ((code != 0 && code != 2))
}

# `args` as words, split as a shell would (quotes honoured) but by shlex: nothing is expanded or
# run, and a word like 'prod-*' reaches icsync without its quotes.
split_words() {
  "$python" "$here/split_args.py" words "$raw_args" >"$work/args.words" ||
    fail "input 'args' could not be split into words (an unclosed quote?)"
  mapfile -d '' -t extra <"$work/args.words"
}

# The words of `args` that `icsync $1` (plan or apply) takes, NUL-separated in $work/args.$1:
# which ones is read from icsync's own options (split_args.py), not from a list kept here, so
# apply's own flags never reach the plan it applies.
split_args() {
  "$python" "$here/split_args.py" "$1" "${extra[@]}" >"$work/args.$1" ||
    fail "could not read icsync's options with $python (is icsync installed for it?)"
}

# Runs icsync, keeping its stdout in a file and its stderr both in the log and in a file.
icsync_to() {
  local stdout_file="$1" stderr_file="$2"
  shift 2
  local code=0
  icsync "$@" >"$stdout_file" 2>"$stderr_file" || code=$?
  cat "$stderr_file" >&2
  return "$code"
}

fenced() {
  printf '\n<details><summary>%s</summary>\n\n```text\n' "$1"
  cat "$2"
  printf '```\n\n</details>\n'
}

# An error is shown open: nobody should have to click to see why a check failed.
fenced_open() {
  printf '\n<details open><summary>%s</summary>\n\n```text\n' "$1"
  cat "$2"
  printf '```\n\n</details>\n'
}

run_plan_like() {
  local fields="$work/fields.txt"
  local plan_args=() apply_args=()
  split_args plan
  split_args apply
  mapfile -d '' -t plan_args <"$work/args.plan"
  mapfile -d '' -t apply_args <"$work/args.apply"
  env_args=()
  [[ -n "$environment" ]] && env_args=(--env "$environment")
  code=0
  if [[ -n "$saved_plan" ]]; then
    run_reviewed_plan
    return
  fi
  icsync_to "$work/plan.md" "$work/plan.err" plan -C "$workdir" "${env_args[@]}" --output markdown \
    --also-output "text=$work/plan.txt" --detailed-exitcode --out "$saved" "${plan_args[@]}" || code=$?
  if failed; then
    printf '### icsync %s failed\n' "$command" >"$work/body.md"
    fenced_open "error" "$work/plan.err" >>"$work/body.md"
    return
  fi
  # The whole plan in the job log: the comment may be cut at GitHub's size limit, the log is not.
  cat "$work/plan.txt"
  "$python" "$here/ghjson.py" plan-doc "$saved" "$plan_json" >"$fields"
  read_fields "$fields"
  cp "$work/plan.md" "$work/body.md"
  if [[ "$command" == apply && "$code" == 2 ]]; then
    code=0
    icsync_to "$work/apply.out" "$work/apply.err" apply "$saved" -C "$workdir" "${env_args[@]}" \
      "${apply_args[@]}" || code=$?
    cat "$work/apply.err" >>"$work/apply.out"
    fenced "icsync apply: exit $code" "$work/apply.out" >>"$work/body.md"
  fi
}

# Apply exactly the plan reviewed on the pull request (input saved-plan), as Atlantis does:
# icsync re-reads live state and refuses the plan if anything changed since it was made.
run_reviewed_plan() {
  "$python" "$here/ghjson.py" plan-doc "$saved_plan" "$plan_json" >"$work/fields.txt"
  read_fields "$work/fields.txt"
  printf '### icsync apply: the reviewed plan for <code>%s</code>\n\n**%s**\n' "$label" "$summary" >"$work/body.md"
  icsync_to "$work/apply.out" "$work/apply.err" apply "$saved_plan" -C "$workdir" "${apply_args[@]}" ||
    code=$?
  cat "$work/apply.err" >>"$work/apply.out"
  if failed; then
    fenced_open "icsync apply: exit $code" "$work/apply.out" >>"$work/body.md"
  else
    fenced "icsync apply: exit $code" "$work/apply.out" >>"$work/body.md"
  fi
}

run_drift() {
  local scope=(--all-envs)
  [[ -n "$environment" ]] && scope=(--env "$environment")
  code=0
  icsync_to "$work/body.md" "$work/drift.err" drift -C "$workdir" "${scope[@]}" --output markdown \
    --out "$plan_json" "${extra[@]}" || code=$?
  if failed; then
    printf '### icsync drift failed\n' >"$work/body.md"
    fenced_open "error" "$work/drift.err" >>"$work/body.md"
    return
  fi
  "$python" "$here/ghjson.py" drift-doc "$plan_json" >"$work/fields.txt"
  read_fields "$work/fields.txt"
}

read_fields() {
  local lines=()
  mapfile -t lines <"$1"
  label="${lines[0]}"
  has_changes="${lines[1]}"
  has_destroy="${lines[2]}"
  summary="${lines[3]}"
}

publish() {
  output exitcode "$code"
  output has-changes "$has_changes"
  output has-destroy "$has_destroy"
  if [[ -s "$plan_json" ]]; then
    output plan-json "$plan_json"
  else
    output plan-json ""
  fi
  output summary "$summary"
  if [[ -s "$saved" ]]; then
    output saved-plan "$saved"
  else
    output saved-plan ""
  fi
  "$python" "$here/ghjson.py" run-footer >>"$work/body.md"
  if [[ -n "${GITHUB_STEP_SUMMARY:-}" ]]; then
    cp "$work/body.md" "$work/summary.md"
    "$python" "$here/ghjson.py" clip "$summary_limit" "$work/summary.md"
    cat "$work/summary.md" >>"$GITHUB_STEP_SUMMARY"
  fi
  if [[ "$comment_on_pr" == true ]]; then
    local pr
    pr="$("$python" "$here/ghjson.py" pr-number)"
    if [[ -z "$pr" ]]; then
      echo "::notice title=icsync action::comment-on-pr is true but this is no pull request event; no comment"
      return
    fi
    { printf '<!-- icsync:%s:%s -->\n' "$command" "$label"; cat "$work/body.md"; } >"$work/comment.md"
    "$python" "$here/ghjson.py" clip "$comment_limit" "$work/comment.md"
    # A comment that cannot be posted (a fork's read-only token) must not fail a good plan.
    bash "$here/comment.sh" "$pr" "<!-- icsync:$command:$label -->" "$work/comment.md" ||
      echo "::warning title=icsync action::could not post the pull request comment; the job needs permissions: pull-requests: write (forks get a read-only token)"
    if [[ "$labels" == true ]] && ! failed; then
      set_labels "$pr" ||
        echo "::warning title=icsync action::could not set the pull request labels; the job needs permissions: pull-requests: write"
    fi
  fi
}

# Labels icsync:changes and icsync:destroy, added when true and removed when not, so that branch
# rules and reviewers can act on them.
set_labels() {
  local pr="$1" repo="${GITHUB_REPOSITORY:?}" add=() name flag
  for name in changes destroy; do
    flag="$has_changes"
    [[ "$name" == destroy ]] && flag="$has_destroy"
    if [[ "$flag" == true ]]; then
      add+=("icsync:$name")
    else
      gh api --method DELETE "repos/$repo/issues/$pr/labels/icsync:$name" >/dev/null 2>&1 || true
    fi
  done
  if ((${#add[@]})); then
    "$python" "$here/ghjson.py" labels-payload "${add[@]}" >"$work/labels.json"
    gh api --method POST "repos/$repo/issues/$pr/labels" --input "$work/labels.json" >/dev/null
  fi
}

main() {
  validate
  [[ "${1:-run}" == check ]] && return 0
  work="$(mktemp -d "${RUNNER_TEMP:-${TMPDIR:-/tmp}}/icsync.XXXXXX")"
  split_words
  label="${environment:-all}"
  plan_json="${RUNNER_TEMP:-$work}/icsync-$command-$label.json"
  # The saved plan, next to the JSON plan: both are uploaded as the run's artifact.
  saved="${RUNNER_TEMP:-$work}/icsync-$command-$label.saved-plan.json"
  has_changes=false
  has_destroy=false
  summary=""
  if [[ "$command" == drift ]]; then
    run_drift
  else
    run_plan_like
  fi
  publish
  if failed; then
    echo "::error title=icsync $command::icsync $command failed; see the log above"
    exit 1
  fi
}

main "$@"
