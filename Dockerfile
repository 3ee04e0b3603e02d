# One image for every service; the Kubernetes Deployment chooses the entry point
# (`python -m services.router`, `python -m services.ingest.whatsapp`, ...). One image keeps the
# protobuf contract, the config code and the model in lockstep across services.
#
#   docker build -t gemeente-contact-router:0.1.0 .
#
# Stage 1 installs the locked runtime dependencies into a venv and trains the classifier (seeded, so
# the same corpus gives the same model); stage 2 is python-slim with that venv, the model and nothing
# to build with, running as an unprivileged user on a read-only root filesystem.

FROM python:3.11-slim-bookworm AS build
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1 PYTHONDONTWRITEBYTECODE=1
WORKDIR /src
RUN python -m venv /opt/venv
COPY requirements.lock pyproject.toml ./
COPY services ./services
COPY tools ./tools
COPY deploy/config ./deploy/config
# Runtime dependencies only (no broker, test or proto tooling), at the versions of the lock file.
RUN /opt/venv/bin/pip install --constraint requirements.lock . \
 && /opt/venv/bin/python -m services.router.training.train /opt/model/classifier.joblib

FROM python:3.11-slim-bookworm
RUN groupadd --gid 10001 gemeente && useradd --uid 10001 --gid 10001 --no-create-home --shell /usr/sbin/nologin gemeente
COPY --from=build /opt/venv /opt/venv
COPY --from=build /opt/model /opt/model
# The independent set the nightly retrain's gate judges every model on (docs/routing.md).
COPY tests/fixtures/routing/independent.jsonl /opt/model/independent.jsonl
COPY deploy/config /etc/gemeente
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    DEPARTMENTS_FILE=/etc/gemeente/departments.yaml \
    KPI_CONFIG_FILE=/etc/gemeente/kpi.yaml \
    ROUTER_MODEL_FILE=/opt/model/classifier.joblib \
    METRICS_DATA_DIR=/tmp/metrics
USER 10001:10001
ENTRYPOINT ["python", "-m"]
CMD ["services.router"]
