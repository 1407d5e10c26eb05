"""Azure Resource Manager: the seeded workspace, custom tables, DCEs, DCRs, role assignments, DCR metrics."""
