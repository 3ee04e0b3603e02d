"""The live feed to connected browsers (server-sent events): each viewer has a bounded queue; a viewer that
falls behind is disconnected, and its browser reconnects and starts again from a fresh snapshot."""

from __future__ import annotations

import asyncio
import json

from prometheus_client import Gauge

VIEWERS = Gauge("console_live_viewers", "Browsers connected to this replica's live feed.")

# Events a viewer may have waiting; a browser that cannot keep up this far is better off reconnecting.
VIEWER_BACKLOG = 1000


class Viewer:
    def __init__(self, topic: str) -> None:
        self.topic = topic  # what the viewer watches: "triage" or "afdeling:<id>"
        self.events: asyncio.Queue[tuple[str, str] | None] = asyncio.Queue(VIEWER_BACKLOG)


class LiveHub:
    def __init__(self, max_viewers: int) -> None:
        self.max_viewers = max_viewers
        self._viewers: set[Viewer] = set()

    def join(self, topic: str) -> Viewer | None:
        """None when this replica has as many viewers as it may serve (the browser retries)."""
        if len(self._viewers) >= self.max_viewers:
            return None
        viewer = Viewer(topic)
        self._viewers.add(viewer)
        VIEWERS.set(len(self._viewers))
        return viewer

    def leave(self, viewer: Viewer) -> None:
        self._viewers.discard(viewer)
        VIEWERS.set(len(self._viewers))

    def watched(self, topic: str) -> bool:
        return any(viewer.topic == topic for viewer in self._viewers)

    def send(self, topic: str, event: str, data: object) -> None:
        viewers = [viewer for viewer in self._viewers if viewer.topic == topic]
        encoded = json.dumps(data, ensure_ascii=False) if viewers else ""
        for viewer in viewers:
            try:
                viewer.events.put_nowait((event, encoded))
            except asyncio.QueueFull:
                self.leave(viewer)
                _end(viewer)  # the stream ends; the browser reconnects

    def close_all(self) -> None:
        for viewer in list(self._viewers):
            self.leave(viewer)
            _end(viewer)


def sse_frame(event: str, encoded: str) -> bytes:
    """One server-sent event: its name and its JSON data."""
    return f"event: {event}\ndata: {encoded}\n\n".encode("utf-8")


def _end(viewer: Viewer) -> None:
    """Drop what the viewer has not read and tell its stream to end."""
    while not viewer.events.empty():
        viewer.events.get_nowait()
    viewer.events.put_nowait(None)
