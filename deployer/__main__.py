"""``python -m deployer`` is the same as ``miro-sentinel``."""

from deployer.cli import main

main()
