"""Terraform: our own thin runner over the CLI, and the ``terraform`` provisioning engine.

Only this package (among deployer's) runs the terraform binary. See :mod:`deployer.terraform.runner`
for the rules it keeps (no prompts, no secrets in argv or files, typed errors, timeouts).
"""

from deployer.terraform.backend import BackendSettings
from deployer.terraform.classify import Diagnostic, classify_failure
from deployer.terraform.engine import DEFAULT_TERRAFORM_DIR, TerraformEngine, target_variables
from deployer.terraform.results import OutputValue, PlanResult, ResourceChange
from deployer.terraform.runner import MIN_TERRAFORM_VERSION, TerraformRunner, TerraformVersion, Timeouts

__all__ = [
    "DEFAULT_TERRAFORM_DIR",
    "MIN_TERRAFORM_VERSION",
    "BackendSettings",
    "Diagnostic",
    "OutputValue",
    "PlanResult",
    "ResourceChange",
    "TerraformEngine",
    "TerraformRunner",
    "TerraformVersion",
    "Timeouts",
    "classify_failure",
    "target_variables",
]
