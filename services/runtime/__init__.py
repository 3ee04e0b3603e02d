"""How a process runs: Kafka and Redis clients, the faust set-up, logging, the common settings."""
