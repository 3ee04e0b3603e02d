"""Entry point: python -m services.router"""

from services.common.settings import RouterSettings
from services.common.stream import run_stream_worker
from services.router.app import create_app

if __name__ == "__main__":
    settings = RouterSettings()
    run_stream_worker(create_app(settings), settings)
