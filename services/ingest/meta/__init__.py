"""What Meta's channels (WhatsApp, Facebook, Instagram) share: verification, signature, messaging[]."""
