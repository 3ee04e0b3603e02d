"""Entry point: python -m services.ingest_facebook"""

from services.common.ingest import serve
from services.common.meta import create_meta_app
from services.common.settings import FacebookSettings
from services.ingest_facebook.normalise import facebook_webhook_to_contacts

PATH = "/webhooks/facebook"

if __name__ == "__main__":
    settings = FacebookSettings()
    serve(create_meta_app(settings, "facebook", PATH, facebook_webhook_to_contacts), settings)
