"""Entry point: python -m services.ingest.whatsapp"""

from services.ingest.http import serve
from services.ingest.meta.webhook import create_meta_app
from services.ingest.whatsapp.normalise import whatsapp_webhook_to_contacts
from services.ingest.whatsapp.settings import WhatsAppSettings

PATH = "/webhooks/whatsapp"

if __name__ == "__main__":
    settings = WhatsAppSettings()
    serve(create_meta_app(settings, "whatsapp", PATH, whatsapp_webhook_to_contacts), settings)
