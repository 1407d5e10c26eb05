"""The Logs Ingestion API: records into a DCR stream, through its transform, into tables."""
