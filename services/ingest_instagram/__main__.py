"""Entry point: python -m services.ingest_instagram"""

from services.common.ingest import serve
from services.common.meta import create_meta_app
from services.common.settings import InstagramSettings
from services.ingest_instagram.normalise import instagram_webhook_to_contacts

PATH = "/webhooks/instagram"

if __name__ == "__main__":
    settings = InstagramSettings()
    serve(create_meta_app(settings, "instagram", PATH, instagram_webhook_to_contacts), settings)
