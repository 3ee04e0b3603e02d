"""Entry point: python -m services.router"""

from services.router.settings import RouterSettings
from services.router.worker import create_app
from services.runtime.stream import run_stream_worker

if __name__ == "__main__":
    settings = RouterSettings()
    run_stream_worker(create_app(settings), settings)
