"""Our Sentinel content, kept as source files in ``content/``: analytics rules, metric alerts, hunting queries, a workbook.

:mod:`deployer.content.spec` loads and checks the files, :mod:`deployer.content.values` turns the settings into
the values their placeholders take, and :mod:`deployer.content.bodies` builds the ARM bodies both engines send.
"""
