"""Entry point: python -m services.ingest.facebook"""

from services.ingest.facebook.normalise import facebook_webhook_to_contacts
from services.ingest.facebook.settings import FacebookSettings
from services.ingest.http import serve
from services.ingest.meta.webhook import create_meta_app

PATH = "/webhooks/facebook"

if __name__ == "__main__":
    settings = FacebookSettings()
    serve(create_meta_app(settings, "facebook", PATH, facebook_webhook_to_contacts), settings)
