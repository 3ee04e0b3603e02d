"""Entry point: python -m services.ingest.webform"""

from services.ingest.http import serve
from services.ingest.webform.app import create_app
from services.ingest.webform.settings import WebformSettings

if __name__ == "__main__":
    settings = WebformSettings()
    serve(create_app(settings), settings)
