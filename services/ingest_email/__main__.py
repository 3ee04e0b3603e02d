"""Entry point: python -m services.ingest_email"""

from services.ingest_email.app import main

if __name__ == "__main__":
    main()
