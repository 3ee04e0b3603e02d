"""Entry point: python -m services.ingest.whatsapp"""

from services.ingest.http import serve
from services.ingest.whatsapp.app import create_app
from services.ingest.whatsapp.settings import WhatsAppSettings

if __name__ == "__main__":
    settings = WhatsAppSettings()
    serve(create_app(settings), settings)
