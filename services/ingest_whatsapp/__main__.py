"""Entry point: python -m services.ingest_whatsapp"""

from services.common.ingest import serve
from services.common.meta import create_meta_app
from services.common.settings import WhatsAppSettings
from services.ingest_whatsapp.normalise import whatsapp_webhook_to_contacts

PATH = "/webhooks/whatsapp"

if __name__ == "__main__":
    settings = WhatsAppSettings()
    serve(create_meta_app(settings, "whatsapp", PATH, whatsapp_webhook_to_contacts), settings)
