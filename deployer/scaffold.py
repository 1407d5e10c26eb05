"""``miro-sentinel init``: the files of a deployment repository, where an operator keeps their environments.

A deployment repository holds settings and workflows, not the tool: the workflows install the released
``miro-sentinel`` at the version that wrote them (pipx, from PyPI), and the tool brings its own ``dcr/`` and
Terraform configuration. The workflows are the ones this project ships in ``.github/workflows/``, adapted:
installing the pinned release instead of setting up a checkout, and triggered by changes of ``envs/``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path

from deployer import __version__
from deployer.errors import InputError, UsageError
from deployer.shipped import shipped_dir

__all__ = ["WORKFLOWS", "deployment_files", "install_command", "write_deployment"]

#: The shipped workflows a deployment repository gets (the project's own CI stays behind).
WORKFLOWS = ("deploy.yml", "smoke.yml")

GITIGNORE = """\
# miro-sentinel's working files: the local cloud's state, Terraform's working copies and local state.
.miro-sentinel/
# Never commit a token or Terraform state.
.env
*.tfstate
*.tfstate.*
"""

README = """\
# Miro audit logs → Microsoft Sentinel: deployments

This repository holds the environments of a [miro-sentinel](https://pypi.org/project/miro-sentinel/)
deployment. The tool itself is installed, not kept here:

```sh
{install}
```

Run every command from this directory: `--env NAME` reads `envs/NAME.toml` here, and working files
(the local cloud's state, Terraform's working copies) go to `.miro-sentinel/` here (git-ignored).

- `miro-sentinel deploy --env local` deploys into the built-in local cloud (emulated Azure and Miro; needs
  the `[emulator]` extra), with no settings to fill in.
- For Azure: copy `envs/example.toml` to `envs/prod.toml`, fill in the required values (each key is
  documented there), check them with `miro-sentinel config check --env prod`, export the Miro token as
  `MIRO_ACCESS_TOKEN`, then `miro-sentinel plan --env prod` and `miro-sentinel deploy --env prod`.
- `.github/workflows/deploy.yml` plans on pull requests and deploys on `main`; `smoke.yml` checks health
  every hour. They sign in to Azure with OIDC: set the GitHub environments `prod` and `prod-plan` with the
  variables `AZURE_CLIENT_ID`, `AZURE_TENANT_ID`, `AZURE_SUBSCRIPTION_ID` and the secret `MIRO_ACCESS_TOKEN`.

Written by `miro-sentinel init` ({version}); upgrade by changing the version in the workflows.
"""


def install_command(version: str = __version__) -> str:
    """How a deployment repository's workflows install the tool: the release that wrote them, with pipx."""
    return f'pipx install "miro-sentinel=={version}"'


def _adapt_workflow(text: str, version: str) -> str:
    """The project's workflow ``name`` made to run in a deployment repository."""
    adapted = re.sub(r"(?m)^(\s*run:\s*)make setup\s*$", lambda m: m.group(1) + install_command(version), text)
    adapted = adapted.replace(".venv/bin/miro-sentinel", "miro-sentinel")
    adapted = re.sub(r"(?m)^(\s*paths:\s*)\[(.*)\]\s*$", _deployment_paths, adapted)
    return f"# Written by `miro-sentinel init` ({version}).\n{adapted}"


def _deployment_paths(match: re.Match[str]) -> str:
    """A ``paths:`` trigger keeping what a deployment repository has: its settings and its workflows."""
    kept = [p for p in re.findall(r'"([^"]+)"', match.group(2)) if p.startswith(("envs/", ".github/workflows/"))]
    return match.group(1) + "[" + ", ".join(f'"{p}"' for p in kept) + "]"


def deployment_files(version: str = __version__) -> dict[str, str]:
    """Relative path → content of every file ``init`` writes."""
    envs = shipped_dir("envs")
    workflows = shipped_dir("workflows")
    try:
        files = {f"envs/{name}": (envs / name).read_text(encoding="utf-8") for name in ("example.toml", "local.toml")}
        for name in WORKFLOWS:
            text = (workflows / name).read_text(encoding="utf-8")
            files[f".github/workflows/{name}"] = _adapt_workflow(text, version)
    except OSError as exc:
        raise InputError(
            f"this installation of miro-sentinel lacks {exc.filename}",
            path=exc.filename,
            remedy="reinstall it: pipx install --force miro-sentinel",
        ) from exc
    files[".gitignore"] = GITIGNORE
    files["README.md"] = README.format(install=install_command(version), version=version)
    return files


def write_deployment(directory: Path, *, force: bool, files: Mapping[str, str] | None = None) -> list[str]:
    """Write the deployment files into ``directory`` (created if missing); returns the paths written.

    :raises UsageError: some of the files exist and ``force`` is false; nothing is written then.
    """
    contents = dict(files if files is not None else deployment_files())
    existing = [path for path in contents if (directory / path).exists()]
    if existing and not force:
        raise UsageError(
            f"{directory} already has {', '.join(existing)}; nothing was written",
            remedy="pass --force to overwrite them, or choose another directory",
        )
    for path, text in contents.items():
        target = directory / path
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        except OSError as exc:
            raise InputError(
                f"cannot write {target}: {exc.strerror or exc}",
                path=str(target),
                remedy="choose a directory you can write to",
            ) from exc
    return list(contents)
