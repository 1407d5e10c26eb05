"""The Log Analytics query API: KQL over a workspace's tables, through the project's KQL engine."""
