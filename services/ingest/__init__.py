"""The ingest family: the channel registry, the shared webhook shell, one package per channel."""
