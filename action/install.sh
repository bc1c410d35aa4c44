#!/usr/bin/env bash
# Install icsync: from the action's own checkout (the default, so the action and the tool are
# the same version), or a released version when the `icsync-version` input names one. The
# released distribution is `icsync-sagemaker`: the name `icsync` on PyPI is another project's.
set -euo pipefail

version="${INPUT_ICSYNC_VERSION:-}"
action_path="${ACTION_PATH:?ACTION_PATH must be the folder of the action}"

if [[ -z "$version" ]]; then
  spec="$action_path"
elif [[ "$version" =~ ^[0-9]+(\.[0-9]+){0,2}([a-z]+[0-9]*)?$ ]]; then
  spec="icsync-sagemaker==$version"
else
  echo "::error title=icsync action::input 'icsync-version' must be a version number such as 0.1.0, or empty to install the action's own version; got '$version'"
  exit 1
fi

"${ICSYNC_ACTION_PYTHON:-python3}" -m pip install --quiet --disable-pip-version-check "$spec"
icsync --version
