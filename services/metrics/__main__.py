"""Entry point: python -m services.metrics"""

from services.metrics.settings import MetricsSettings
from services.metrics.worker import create_app
from services.runtime.stream import run_stream_worker

if __name__ == "__main__":
    settings = MetricsSettings()
    run_stream_worker(create_app(settings), settings)
