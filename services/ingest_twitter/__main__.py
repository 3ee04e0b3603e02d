"""Entry point: python -m services.ingest_twitter"""

from services.common.ingest import serve
from services.common.settings import TwitterSettings
from services.ingest_twitter.app import create_app

if __name__ == "__main__":
    settings = TwitterSettings()
    serve(create_app(settings), settings)
