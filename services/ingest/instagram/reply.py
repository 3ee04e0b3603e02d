"""An answer on Instagram: a direct message, or a reply to a comment (services/ingest/meta/reply.py)."""

from services.ingest.meta.reply import meta_planner
from services.replies.senders import ChannelSender

MAX_TEXT_CHARS = 1000  # Instagram's text limit for messages (and far above what a comment reply needs)

SENDER = ChannelSender(
    plan=meta_planner("instagram_dm", "instagram", "instagram_comment", "{comment}/replies", MAX_TEXT_CHARS),
    transport="services.ingest.meta.graph:GraphTransport", kinds=frozenset({"instagram_dm", "instagram_comment"}))
