"""The protos are the contract: the committed generated code must match them."""

from pathlib import Path

from services.contract import codec
from tools.protogen import REPO_ROOT, generate

COMMITTED = REPO_ROOT / "services" / "contract" / "generated"


def test_generated_code_is_up_to_date(tmp_path: Path):
    fresh = generate(tmp_path)
    fresh_files = {p.relative_to(tmp_path): p.read_bytes() for p in fresh}
    committed = {
        p.relative_to(COMMITTED): p.read_bytes()
        for p in COMMITTED.rglob("*")
        if p.is_file() and "__pycache__" not in p.parts
    }
    stale = sorted(str(path) for path in fresh_files.keys() | committed.keys() if fresh_files.get(path) != committed.get(path))
    assert not stale, f"generated code is stale, run `make proto`: {stale}"


def test_channel_labels_cover_every_channel():
    labels = [codec.channel_label(value) for value in codec.Channel.values()]
    assert labels[:3] == ["unspecified", "whatsapp", "webform"]
    assert "kcc" in labels


def test_message_id_is_deterministic_per_channel():
    a = codec.message_id(codec.Channel.CHANNEL_WHATSAPP, "wamid.1")
    assert a == codec.message_id(codec.Channel.CHANNEL_WHATSAPP, "wamid.1")
    assert a != codec.message_id(codec.Channel.CHANNEL_WEBFORM, "wamid.1")
