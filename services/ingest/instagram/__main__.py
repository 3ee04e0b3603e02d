"""Entry point: python -m services.ingest.instagram"""

from services.ingest.http import serve
from services.ingest.instagram.app import create_app
from services.ingest.instagram.settings import InstagramSettings

if __name__ == "__main__":
    settings = InstagramSettings()
    serve(create_app(settings), settings)
