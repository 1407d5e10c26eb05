"""Azure: credentials, the ARM client and engine, Logs Ingestion and Log Analytics query (the only Azure SDK users)."""
