"""What runs in production: one package per deployable or family (services/deployables.py lists them)."""
