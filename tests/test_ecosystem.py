"""validate and render offline, the pre-commit hook, shell completion and packaging."""

from __future__ import annotations

import email.parser
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import tomllib
import zipfile
from pathlib import Path

import pytest
from ruamel.yaml import YAML

from gitsync.commands import sandbox as sandbox_command
from gitsync.errors import IcsyncError
from tests.helpers import NOWHERE, demo_project, icsync, write

ROOT = Path(__file__).resolve().parent.parent
QUICKSTART = ROOT / "examples" / "quickstart"
TOKEN = "s3cr3t-value-123"  # the demo project's API_TOKEN value


def closed_port() -> int:
    """A port nothing listens on: any AWS call sent there fails at once."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def offline(monkeypatch: pytest.MonkeyPatch) -> None:
    """No credentials at all, and every AWS endpoint pointing at a closed port."""
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_ENDPOINT_URL", f"http://127.0.0.1:{closed_port()}")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")  # no credential lookup on the network


def test_offline_fixture_really_blocks_aws(tmp_path: Path, offline: None) -> None:
    # The guard for the tests below: with this environment, anything that calls AWS fails.
    result = icsync("plan", "-C", demo_project(tmp_path / "p"), "--env", "dev")
    assert result.code == 1
    assert "credentials" in result.err or "connect" in result.err, result.all


def test_validate_all_environments_offline(offline: None) -> None:
    result = icsync("validate", "-C", QUICKSTART, "--all-envs")
    assert result.code == 0, result.all
    assert result.out.splitlines() == ["dev: ok (3 components)", "prod: ok (3 components)"]


def test_validate_reports_bad_environment_with_file_and_line(tmp_path: Path, offline: None) -> None:
    root = shutil.copytree(QUICKSTART, tmp_path / "quickstart")
    (root / "values" / "prod.yaml").write_text((root / "values" / "prod.yaml").read_text()
                                               .replace("llm_copies: 2", "llm_copies: two"))
    result = icsync("validate", "-C", root)
    assert result.code == 1
    assert "dev: ok (3 components)" in result.out
    assert "prod: invalid" in result.err
    assert re.search(r"components/llm\.yaml:\d+:\d+: expected an integer, got str `two` "
                     r"at `RuntimeConfig\.CopyCount`", result.err), result.err
    assert "Traceback" not in result.all
    # --env limits the check to one environment.
    assert icsync("validate", "-C", root, "--env", "dev").code == 0


def test_validate_env_from_icsync_env_and_all_envs_overrides(tmp_path: Path, offline: None) -> None:
    result = icsync("validate", "-C", QUICKSTART, env={"ICSYNC_ENV": "prod"})
    assert result.out.splitlines() == ["prod: ok (3 components)"], result.all
    both = icsync("validate", "-C", QUICKSTART, "--all-envs", env={"ICSYNC_ENV": "prod"})
    assert len(both.out.splitlines()) == 2
    unknown = icsync("validate", "-C", QUICKSTART, "--env", "prd")
    assert unknown.code == 1 and "unknown environment `prd`; did you mean `prod`?" in unknown.err


def test_render_masks_secrets_unless_asked(tmp_path: Path, offline: None) -> None:
    root = demo_project(tmp_path / "p")
    masked = icsync("render", "-C", root, "--env", "dev")
    assert masked.code == 0, masked.all
    assert "# Source: components/web.yaml (environment dev)" in masked.out
    assert "API_TOKEN: (sensitive)" in masked.out
    assert TOKEN not in masked.out
    assert "LOG_LEVEL: info" in masked.out and "Image: repo/app:1.0" in masked.out
    shown = icsync("render", "-C", root, "--env", "dev", "--show-secrets")
    assert f"API_TOKEN: {TOKEN}" in shown.out, shown.all


def test_render_masks_block_and_flow_values_and_honours_secret_pattern(tmp_path: Path,
                                                                       offline: None) -> None:
    root = write(tmp_path / "p", {
        "icsync.yaml": "manifests: [c.yaml]\nsecret_pattern: '^HIDE_'\nenvironments: {dev: {}}\n",
        "c.yaml": """
            InferenceComponentName: a
            EndpointName: ep
            Specification:
              Container:
                Environment:
                  HIDE_BLOCK: |
                    first-hidden-line
                    second-hidden-line
                  API_TOKEN: visible-now
                  HIDE_FLOW: {{ '"quoted-hidden"' }}
              ComputeResourceRequirements: {MinMemoryRequiredInMb: 1024}
            RuntimeConfig: {CopyCount: 1}
            """,
    })
    result = icsync("render", "-C", root)
    assert result.code == 0, result.all
    assert "hidden" not in result.out
    assert "API_TOKEN: visible-now" in result.out  # the project's pattern replaces the default
    rendered = YAML(typ="safe").load(result.out.split("\n", 2)[2])
    assert rendered["Specification"]["Container"]["Environment"] == {
        "HIDE_BLOCK": "(sensitive)", "API_TOKEN": "visible-now", "HIDE_FLOW": "(sensitive)"}


def test_render_template_error_names_the_file(tmp_path: Path, offline: None) -> None:
    root = demo_project(tmp_path / "p")
    (root / "components" / "web.yaml").write_text("InferenceComponentName: {{ nme }}\n")
    result = icsync("render", "-C", root, "--env", "dev")
    assert result.code == 1
    assert "components/web.yaml" in result.err and "nme" in result.err
    assert "Traceback" not in result.all


def pre_commit_hook() -> dict[str, object]:
    [hook] = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    return hook


def test_pre_commit_hook_declaration() -> None:
    hook = pre_commit_hook()
    assert hook["id"] == "icsync-validate"
    assert hook["language"] == "python"
    assert hook["pass_filenames"] is False
    files = re.compile(str(hook["files"]))
    assert files.search("components/llm.yaml") and files.search("values/dev.yml")
    assert files.search("templates/base.yaml.j2")
    assert not files.search("README.md") and not files.search("gitsync/cli.py")


def test_pre_commit_hook_entry_runs_on_the_examples(tmp_path: Path, offline: None,
                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    program, *args = shlex.split(str(pre_commit_hook()["entry"]))
    assert program == "icsync"
    monkeypatch.chdir(QUICKSTART)  # pre-commit runs hooks from the repository root
    result = icsync(*args)
    assert result.code == 0, result.all
    assert "prod: ok" in result.out
    broken = shutil.copytree(QUICKSTART, tmp_path / "broken")
    (broken / "components" / "llm.yaml").write_text("InferenceComponentName: x\nEndpoint: y\n")
    monkeypatch.chdir(broken)
    failed = icsync(*args)
    assert failed.code == 1
    assert "components/llm.yaml:2:1: unknown key `Endpoint`" in failed.err, failed.err


@pytest.mark.parametrize("shell", ["bash", "zsh", "fish"])
def test_shell_completion_script(shell: str) -> None:
    environment = {**os.environ, "_ICSYNC_COMPLETE": f"{shell}_source"}
    result = subprocess.run([sys.executable, "-m", "gitsync"], env=environment, check=False, capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert "_ICSYNC_COMPLETE" in result.stdout
    assert {"bash": "complete -o nosort -F", "zsh": "#compdef icsync",
            "fish": "complete --no-files --command icsync"}[shell] in result.stdout


def test_completion_completes_commands_and_options() -> None:
    environment = {**os.environ, "_ICSYNC_COMPLETE": "bash_complete", "COMP_WORDS": "icsync va",
                   "COMP_CWORD": "1"}
    result = subprocess.run([sys.executable, "-m", "gitsync"], env=environment, check=False, capture_output=True,
                            text=True, timeout=60)
    assert "plain,validate" in result.stdout.splitlines(), result.stdout


def test_completion_offers_the_project_environments() -> None:
    environment = {**os.environ, "_ICSYNC_COMPLETE": "bash_complete", "COMP_CWORD": "5",
                   "COMP_WORDS": f"icsync plan -C {QUICKSTART} --env p"}
    result = subprocess.run([sys.executable, "-m", "gitsync"], env=environment, check=False,
                            capture_output=True, text=True, timeout=60)
    assert result.stdout.splitlines() == ["plain,prod"], result.stdout + result.stderr


def test_version_names_botocore() -> None:
    import botocore

    result = icsync("--version")
    assert result.code == 0
    assert re.fullmatch(rf"icsync \d+\.\d+\.\d+\S* \(botocore {re.escape(botocore.__version__)} "
                        r"service model\)\n", result.out), result.out


def test_installed_botocore_meets_the_declared_floor_and_has_the_apis() -> None:
    import botocore

    from gitsync import model

    floor = re.search(r'"botocore>=([\d.]+)', (ROOT / "pyproject.toml").read_text())
    assert floor is not None
    version = tuple(int(p) for p in botocore.__version__.split(".")[:3])
    assert version >= tuple(int(p) for p in floor.group(1).split("."))
    service = model.service_model()
    for operation in ("CreateInferenceComponent", "UpdateInferenceComponent", "DeleteInferenceComponent",
                      "UpdateInferenceComponentRuntimeConfig", "DescribeInferenceComponent",
                      "ListInferenceComponents"):
        assert operation in service.operation_names
    assert {"Specification", "Specifications"} <= set(model.input_shape("CreateInferenceComponent").members)
    assert "DeploymentConfig" in model.input_shape("UpdateInferenceComponent").members


def test_wheel_builds(tmp_path: Path) -> None:
    source = tmp_path / "src"
    source.mkdir()
    for name in ("pyproject.toml", "README.md", "LICENSE"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(ROOT / "gitsync", source / "gitsync", ignore=shutil.ignore_patterns("__pycache__"))
    result = subprocess.run([sys.executable, "-m", "pip", "wheel", ".", "--no-deps", "-q", "-w",
                             str(tmp_path / "dist")], cwd=source, check=False, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    [wheel] = (tmp_path / "dist").glob("icsync_sagemaker-*.whl")
    with zipfile.ZipFile(wheel) as archive:
        names = archive.namelist()
        metadata = next(archive.read(n).decode() for n in names if n.endswith("METADATA"))
        entry_points = next(archive.read(n).decode() for n in names if n.endswith("entry_points.txt"))
    assert "gitsync/cli.py" in names and "gitsync/schema.py" in names and "gitsync/py.typed" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names), names
    assert "icsync = gitsync.cli:main" in entry_points
    assert re.search(r"Requires-Dist: boto3<2,>=1\.43\.1|Requires-Dist: boto3 \(<2,>=1\.43\.1\)",
                     metadata), metadata
    fields = email.parser.Parser().parsestr(metadata)
    assert fields["Name"] == sandbox_command.DISTRIBUTION
    assert fields["License-Expression"] == "Apache-2.0"
    assert fields.get_all("License-File") == ["LICENSE"]
    assert "Source, https://github.com/icsync/icsync" in fields.get_all("Project-URL")
    assert set(fields.get_all("Provides-Extra")) == {"sandbox", "test"}
    # The emulator stack is the sandbox's alone: a plain install must not pull it.
    moto = [r for r in fields.get_all("Requires-Dist") if r.startswith("moto")]
    assert moto and all(re.search(r"""extra == ["']sandbox["']""", r) for r in moto), moto
    assert f"{sandbox_command.DISTRIBUTION}[sandbox]; extra == \"test\"" in fields.get_all("Requires-Dist")


def test_the_distribution_name_is_the_one_installed_and_named_everywhere() -> None:
    """`icsync` and `gitsync` are other projects' names on PyPI: every install line says ours."""
    name = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["name"]
    assert name == sandbox_command.DISTRIBUTION
    readme = (ROOT / "README.md").read_text()
    assert f"pip install {name}\n" in readme and f"pip install '{name}[sandbox]'" in readme


def test_the_action_installs_the_distribution_by_name(tmp_path: Path) -> None:
    # Stand-ins for python3 and icsync on PATH record what install.sh runs; nothing is installed.
    bin_dir, calls = tmp_path / "bin", tmp_path / "calls"
    bin_dir.mkdir()
    for program in ("python3", "icsync"):
        (bin_dir / program).write_text(f'#!/bin/sh\necho "{program} $*" >> "{calls}"\n')
        (bin_dir / program).chmod(0o755)
    done = subprocess.run(["bash", str(ROOT / "action" / "install.sh")], capture_output=True, text=True,
                          check=False, env={**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}",
                                            "ACTION_PATH": str(ROOT), "INPUT_ICSYNC_VERSION": "0.1.0"})
    assert done.returncode == 0, done.stdout + done.stderr
    assert calls.read_text().splitlines() == [
        f"python3 -m pip install --quiet --disable-pip-version-check {sandbox_command.DISTRIBUTION}==0.1.0",
        "icsync --version"]


SANDBOX_HINT = ("Error: the sandbox needs the `sandbox` extra (module `icsync_no_such_module` is not "
                "installed); install it with: pip install 'icsync-sagemaker[sandbox]'\n")


def test_a_missing_sandbox_extra_says_how_to_install_it() -> None:
    sandbox_command.require_extra("moto")  # installed here, by the test extra
    with pytest.raises(IcsyncError) as raised:
        sandbox_command.require_extra("icsync_no_such_module")
    assert f"Error: {raised.value}\n" == SANDBOX_HINT


def test_sandbox_commands_without_the_extra_exit_1_with_the_hint(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    # moto cannot be uninstalled under the suite: point the check at a module that is missing.
    monkeypatch.setattr(sandbox_command, "EMULATOR_MODULE", "icsync_no_such_module")
    root = demo_project(tmp_path / "p")
    for args in (["sandbox", "--port", "0"], ["plan", "-C", str(root), "--env", "dev", "--sandbox"]):
        result = icsync(*args)
        assert (result.code, result.out, result.err) == (1, "", SANDBOX_HINT), args
    assert not (root / ".icsync").exists()  # failed before the sandbox made its state folder


def test_readme_commands_install_the_extras_ci_uses() -> None:
    readme = (ROOT / "README.md").read_text()
    first, second = re.findall(r"```sh\n(.*?)\n```", readme, re.DOTALL)[:2]
    assert first.startswith("python -m pip install -e '.[sandbox]' && icsync plan ")
    # The second command is exactly what CI runs.
    ci = [line.replace(" --quiet", "") for line in (ROOT / ".ci" / "run").read_text().splitlines()]
    install, test = second.split(" && ")
    assert install in ci and ci[-1] == test


def test_readme_lists_every_icsync_variable() -> None:
    used = set()
    for path in (ROOT / "gitsync").rglob("*.py"):
        used |= set(re.findall(r"ICSYNC_[A-Z_]+[A-Z]", path.read_text()))
    documented = set(re.findall(r"`(ICSYNC_[A-Z_]+)`", (ROOT / "README.md").read_text()))
    assert used <= documented, f"undocumented: {sorted(used - documented)}"


def test_readme_shows_the_schema_line_and_the_hook() -> None:
    readme = (ROOT / "README.md").read_text()
    assert "# yaml-language-server: $schema=" in readme
    assert f"- id: {pre_commit_hook()['id']}" in readme
    for shell in ("bash", "zsh", "fish"):
        assert f"_ICSYNC_COMPLETE={shell}_source icsync" in readme


def test_validate_and_render_need_no_secrets_plan_does(tmp_path: Path, offline: None,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    root = shutil.copytree(QUICKSTART, tmp_path / "quickstart")
    llm = root / "components" / "llm.yaml"
    text = llm.read_text()
    assert "Environment:" in text
    llm.write_text(text.replace("Environment:\n", "Environment:\n      API_TOKEN: {{ env_var('ICSYNC_TEST_TOKEN') }}\n"
                                "      MODE: {{ env_var('ICSYNC_TEST_MODE', 'fast') }}\n", 1))
    monkeypatch.delenv("ICSYNC_TEST_TOKEN", raising=False)
    validated = icsync("validate", "-C", root, "--all-envs")
    assert validated.code == 0, validated.all
    rendered = icsync("render", "-C", root, "--env", "dev", "--show-secrets")
    assert rendered.code == 0, rendered.all
    assert "API_TOKEN: unset-ICSYNC-TEST-TOKEN" in rendered.out and "MODE: fast" in rendered.out
    planned = icsync("plan", "-C", root, "--env", "dev", "--endpoint-url", NOWHERE)
    assert planned.code == 1 and "`ICSYNC_TEST_TOKEN` is not set" in planned.err, planned.all


def test_hook_names_files_from_the_repository_root_and_each_problem_once(
        tmp_path: Path, offline: None, monkeypatch: pytest.MonkeyPatch) -> None:
    repo = tmp_path / "repo"
    root = shutil.copytree(QUICKSTART, repo / "deploy" / "icsync")
    (root / "components" / "extra.yaml").write_text("InferenceComponentName: x\nEndpoint: y\n")
    (root / "values" / "prod.yaml").write_text((root / "values" / "prod.yaml").read_text()
                                               .replace("llm_copies: 2", "llm_copies: two"))
    monkeypatch.chdir(repo)  # pre-commit runs hooks from the repository root
    _, *args = shlex.split(str(pre_commit_hook()["entry"]))
    failed = icsync(*args, "-C", "deploy/icsync")
    assert failed.code == 1
    assert "dev: invalid" in failed.err and "prod: invalid" in failed.err
    unknown = "deploy/icsync/components/extra.yaml:2:1: unknown key `Endpoint`"
    assert failed.err.count(unknown) == 1, failed.err  # once, though both environments have it
    assert not re.search(r"extra\.yaml:2:1: .*only in", failed.err)  # in every environment
    assert re.search(r"\ndeploy/icsync/components/llm\.yaml:\d+:\d+: expected an integer, got str "
                     r"`two` at `RuntimeConfig\.CopyCount` \(only in prod\)\n", failed.err), failed.err
