"""Entry point: python -m services.ingest_webform"""

from services.common.ingest import serve
from services.common.settings import WebformSettings
from services.ingest_webform.app import create_app

if __name__ == "__main__":
    settings = WebformSettings()
    serve(create_app(settings), settings)
