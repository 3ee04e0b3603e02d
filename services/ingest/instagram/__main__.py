"""Entry point: python -m services.ingest.instagram"""

from services.ingest.http import serve
from services.ingest.instagram.normalise import instagram_webhook_to_contacts
from services.ingest.instagram.settings import InstagramSettings
from services.ingest.meta.webhook import create_meta_app

PATH = "/webhooks/instagram"

if __name__ == "__main__":
    settings = InstagramSettings()
    serve(create_meta_app(settings, "instagram", PATH, instagram_webhook_to_contacts), settings)
