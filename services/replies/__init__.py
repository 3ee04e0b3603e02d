"""The reply sender: answers from contact.replies back to the citizen's channel (docs/replies.md)."""
