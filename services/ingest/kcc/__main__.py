"""Entry point: python -m services.ingest.kcc"""

from services.ingest.kcc.app import main

if __name__ == "__main__":
    main()
