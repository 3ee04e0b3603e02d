"""The facebook ingestor (see its entry in services/ingest/channels.py)."""
