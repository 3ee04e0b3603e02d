"""Entry point: python -m services.ingest.twitter"""

from services.ingest.http import serve
from services.ingest.twitter.app import create_app
from services.ingest.twitter.settings import TwitterSettings

if __name__ == "__main__":
    settings = TwitterSettings()
    serve(create_app(settings), settings)
