"""Entry point: python -m services.ingest_whatsapp"""

from services.common.ingest import serve
from services.common.settings import WhatsAppSettings
from services.ingest_whatsapp.app import create_app

if __name__ == "__main__":
    settings = WhatsAppSettings()
    serve(create_app(settings), settings)
