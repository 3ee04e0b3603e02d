"""Entry point: python -m services.ingest_kcc"""

from services.ingest_kcc.app import main

if __name__ == "__main__":
    main()
