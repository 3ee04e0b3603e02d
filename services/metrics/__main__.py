"""Entry point: python -m services.metrics"""

from services.common.settings import MetricsSettings
from services.common.stream import run_stream_worker
from services.metrics.app import create_app

if __name__ == "__main__":
    settings = MetricsSettings()
    run_stream_worker(create_app(settings), settings)
