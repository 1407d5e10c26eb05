terraform {
  # Provider-free on purpose: `terraform test` runs this module offline, and the body-equality test
  # (tests/terraform/test_body_equality.py) compares its outputs with deployer/dcr/bodies.py.
  # 1.9 brought cross-variable validation; 1.11 is the floor of the whole configuration.
  required_version = ">= 1.11.0"
}
