"""The channel registry: one declaration per channel, the single source of every per-channel fact.

Adding a channel is one package under services/ingest/ plus one entry here. From this list come the
Procfile and the Prometheus scrape jobs of `make run` (generated, `make generate`), the dev and test
stacks (tools/devstack), the ingest benchmark, the Kubernetes Deployments, Services, Ingress paths,
autoscalers and network-policy labels (k8s/build.py), the secrets a deployment must provide and the
architecture diagram in docs/. A test fails when a generated file is stale.

Pure data: importing this module imports no channel code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

# The secret every ingestor needs: the key of the keyed hash that turns phone numbers, e-mail addresses
# and handles into author ids (services/ingest/pseudonym.py).
PSEUDONYM_KEY_SECRET = "AUTHOR_PSEUDONYM_KEY"
# The secret of the channels that can answer: the key the ingestors encrypt reply addresses with and the
# reply sender decrypts them with (services/ingest/addresses.py); nobody else has it.
REPLY_ADDRESS_KEY_SECRET = "REPLY_ADDRESS_KEY"


@dataclass(frozen=True)
class ExtraPort:
    """A port a channel serves besides its HTTP port (SMTP, gRPC)."""

    name: str  # the container port's name in Kubernetes
    default: int
    variable: str  # the environment variable that sets it


@dataclass(frozen=True)
class Replies:
    """How an answer goes back on a channel: the outbound half, beside the ingestor in the same package."""

    how: str  # what the sender does (docs)
    sender: str | None  # "module:attribute", the channel's Sender (services/replies/senders.py); None: cannot answer
    retention_days: int = 0  # how long a reply address is kept: as long as an answer is still possible
    secrets: tuple[str, ...] = ()  # the sender's tokens (besides REPLY_ADDRESS_KEY)
    hosts: tuple[str, ...] = ()  # the platform hosts the sender connects to on 443 (egress network policy)
    # After a crash between the platform accepting and the ledger recording it: "resend" (the receiver
    # drops the duplicate: e-mail keeps its Message-ID), "await_status" (the platform's status webhook
    # carries our reply id: wait for it, then resend), or "ask" (no idempotency: a person checks).
    after_crash: Literal["resend", "await_status", "ask"] = "ask"

    @property
    def can_reply(self) -> bool:
        return self.sender is not None


NO_REPLIES = Replies(how="no outbound channel: the answer is given by phone or at the desk", sender=None)


@dataclass(frozen=True)
class Channel:
    name: str  # channel id: label value, process name, Kubernetes suffix, Kafka key of its dead letters
    title: str  # how people call it (docs, the demo's output)
    description: str  # what arrives through it
    transport: Literal["webhook", "smtp", "grpc"]
    http_port: int  # default HTTP port: the webhook itself, or only /healthz, /readyz, /metrics
    normaliser: str  # "module:function", the pure function from the channel's wire format to ContactMessages
    signature: str  # how a sender proves who it is
    secrets: tuple[str, ...] = ()  # environment variables with this channel's secrets (besides the pseudonym key)
    webhook_path: str | None = None  # for webhooks: the public path behind the ingress
    signature_header: str | None = None
    extra_ports: tuple[ExtraPort, ...] = field(default=())
    replies: Replies = NO_REPLIES
    # How this channel's conversation ids begin ("wa-" + a pseudonym): a reply names only its conversation,
    # and the prefix says which channel it goes back through.
    conversation_prefix: str = ""

    @property
    def package(self) -> str:
        """The Python package; `python -m <package>` runs the ingestor."""
        return f"services.ingest.{self.name}"

    @property
    def deployment(self) -> str:
        """The Kubernetes name of its Deployment and Service, and its Prometheus job."""
        return f"gemeente-ingest-{self.name}"

    @property
    def port_variable(self) -> str:
        return f"{self.name.upper()}_PORT"

    @property
    def all_secrets(self) -> tuple[str, ...]:
        """The ingestor's secrets: the pseudonym key, the reply address key where it can answer, its own."""
        reply_key = (REPLY_ADDRESS_KEY_SECRET,) if self.replies.can_reply else ()
        return (PSEUDONYM_KEY_SECRET, *reply_key, *self.secrets)


_META_SECRETS = ("META_APP_SECRET", "META_VERIFY_TOKEN")
_GRAPH_HOSTS = ("graph.facebook.com",)
_SMTP_RELAY = "the gemeente's SMTP relay (SMTP_RELAY_HOST)"
# An address is kept 30 days where the platform allows an answer that long (a WhatsApp template, a
# tweet, a mail): as long as the routed topics keep the message it answers.
_REPLY_DAYS = 30
META_SIGNATURE_HEADER = "X-Hub-Signature-256"
_META_SIGNATURE = f"HMAC-SHA256 of the raw body with the Meta app secret, hex, in {META_SIGNATURE_HEADER}"

CHANNELS: tuple[Channel, ...] = (
    Channel(
        name="whatsapp", conversation_prefix="wa-", title="WhatsApp", description="WhatsApp Cloud API webhooks (messages, media, locations)",
        transport="webhook", http_port=8081,
        normaliser="services.ingest.whatsapp.normalise:whatsapp_webhook_to_contacts",
        signature=_META_SIGNATURE, secrets=_META_SECRETS,
        webhook_path="/webhooks/whatsapp", signature_header=META_SIGNATURE_HEADER,
        replies=Replies(
            how="WhatsApp Cloud API messages: free text within 24 hours of the citizen's last message, an approved "
                "template (deploy/config/templates.yaml) after that",
            sender="services.ingest.whatsapp.reply:SENDER", retention_days=_REPLY_DAYS,
            secrets=("WHATSAPP_ACCESS_TOKEN",), hosts=_GRAPH_HOSTS, after_crash="await_status"),
    ),
    Channel(
        name="webform", conversation_prefix="wf-", title="web form", description="the gemeente website's contact form",
        transport="webhook", http_port=8082,
        normaliser="services.ingest.webform.normalise:webform_submission_to_contact",
        signature="HMAC-SHA256 of the raw body with the website's shared secret, hex, in X-Webform-Signature-256",
        secrets=("WEBFORM_SECRET",),
        webhook_path="/webhooks/webform", signature_header="X-Webform-Signature-256",
        replies=Replies(
            how=f"by e-mail through {_SMTP_RELAY} when the form carried an address; otherwise no_reply_channel",
            sender="services.ingest.webform.reply:SENDER", retention_days=_REPLY_DAYS, after_crash="resend"),
    ),
    Channel(
        name="facebook", conversation_prefix="fb-", title="Facebook", description="Messenger and page feed webhooks",
        transport="webhook", http_port=8083,
        normaliser="services.ingest.facebook.normalise:facebook_webhook_to_contacts",
        signature=_META_SIGNATURE, secrets=_META_SECRETS,
        webhook_path="/webhooks/facebook", signature_header=META_SIGNATURE_HEADER,
        replies=Replies(
            how="Messenger Send API (RESPONSE within 24 hours, HUMAN_AGENT tag up to 7 days); a comment gets a "
                "public reply, or one private reply within 7 days",
            sender="services.ingest.facebook.reply:SENDER", retention_days=7,
            secrets=("META_PAGE_ACCESS_TOKEN",), hosts=_GRAPH_HOSTS),
    ),
    Channel(
        name="instagram", conversation_prefix="ig-", title="Instagram", description="Instagram messaging and comment webhooks",
        transport="webhook", http_port=8084,
        normaliser="services.ingest.instagram.normalise:instagram_webhook_to_contacts",
        signature=_META_SIGNATURE, secrets=_META_SECRETS,
        webhook_path="/webhooks/instagram", signature_header=META_SIGNATURE_HEADER,
        replies=Replies(
            how="Instagram messaging (RESPONSE within 24 hours, HUMAN_AGENT tag up to 7 days); a comment gets a "
                "public reply, or one private reply within 7 days",
            sender="services.ingest.instagram.reply:SENDER", retention_days=7,
            secrets=("INSTAGRAM_ACCESS_TOKEN",), hosts=_GRAPH_HOSTS),
    ),
    Channel(
        name="twitter", conversation_prefix="tw-", title="X", description="X (Twitter) Account Activity webhooks: mentions, replies, DMs",
        transport="webhook", http_port=8085,
        normaliser="services.ingest.twitter.normalise:twitter_webhook_to_contacts",
        signature="HMAC-SHA256 of the raw body with the consumer secret, base64, in x-twitter-webhooks-signature",
        secrets=("TWITTER_CONSUMER_SECRET",),
        webhook_path="/webhooks/twitter", signature_header="x-twitter-webhooks-signature",
        replies=Replies(
            how="X API v2: a DM through dm_conversations/with/{participant_id}/messages; a mention answered "
                "in public with a reply tweet (checked for personal data first)",
            sender="services.ingest.twitter.reply:SENDER", retention_days=_REPLY_DAYS,
            secrets=("X_USER_ACCESS_TOKEN",), hosts=("api.x.com",)),
    ),
    Channel(
        name="email", conversation_prefix="em-", title="e-mail", description="mail over SMTP from the gemeente's mail relay",
        transport="smtp", http_port=8086,
        normaliser="services.ingest.email.normalise:email_to_contact",
        signature="only the gemeente's own recipient addresses are accepted (the relay does SPF/DKIM)",
        extra_ports=(ExtraPort("smtp", 2525, "SMTP_PORT"),),
        replies=Replies(
            how=f"through {_SMTP_RELAY}: In-Reply-To and References of the citizen's mail, Subject Re:, from the "
                "mailbox the citizen wrote to, one Message-ID however often it is retried",
            sender="services.ingest.email.reply:SENDER", retention_days=_REPLY_DAYS, after_crash="resend"),
    ),
    Channel(
        name="kcc", conversation_prefix="kcc-", title="KCC", description="contacts the KCC (phone, desk) records over gRPC",
        transport="grpc", http_port=8087,
        normaliser="services.ingest.kcc.normalise:kcc_submission_to_contact",
        signature="a bearer token of the KCC role (KCC_API_TOKEN), over TLS where configured",
        secrets=("KCC_API_TOKEN",),
        extra_ports=(ExtraPort("grpc", 50051, "KCC_GRPC_PORT"),),
    ),
)

BY_NAME: dict[str, Channel] = {channel.name: channel for channel in CHANNELS}
WEBHOOK_CHANNELS: tuple[Channel, ...] = tuple(c for c in CHANNELS if c.transport == "webhook")
REPLY_CHANNELS: tuple[Channel, ...] = tuple(c for c in CHANNELS if c.replies.can_reply)


def channel(name: str) -> Channel:
    return BY_NAME[name]


def channel_of_conversation(conversation_id: str) -> Channel | None:
    """The channel a conversation id belongs to, by its prefix; None for an id of no channel."""
    return next((c for c in CHANNELS if conversation_id.startswith(c.conversation_prefix)), None)


def secret_names() -> tuple[str, ...]:
    """Every secret the ingestors and the reply senders need, each once, in registry order."""
    return tuple(dict.fromkeys(s for c in CHANNELS for s in (*c.all_secrets, *c.replies.secrets)))
