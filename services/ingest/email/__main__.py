"""Entry point: python -m services.ingest.email"""

from services.ingest.email.app import main

if __name__ == "__main__":
    main()
