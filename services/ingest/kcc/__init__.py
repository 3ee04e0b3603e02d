"""The kcc ingestor (see its entry in services/ingest/channels.py)."""
