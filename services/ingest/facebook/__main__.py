"""Entry point: python -m services.ingest.facebook"""

from services.ingest.facebook.app import create_app
from services.ingest.facebook.settings import FacebookSettings
from services.ingest.http import serve

if __name__ == "__main__":
    settings = FacebookSettings()
    serve(create_app(settings), settings)
