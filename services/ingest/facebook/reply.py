"""An answer on Facebook: Messenger Send API, or a reply to a comment on the page (services/ingest/meta/reply.py)."""

from services.ingest.meta.reply import meta_planner
from services.replies.senders import ChannelSender

MAX_TEXT_CHARS = 2000  # Messenger's text limit

SENDER = ChannelSender(
    plan=meta_planner("messenger", "messenger", "facebook_comment", "{comment}/comments", MAX_TEXT_CHARS),
    transport="services.ingest.meta.graph:GraphTransport", kinds=frozenset({"messenger", "facebook_comment"}))
