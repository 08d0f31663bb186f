# Production image: the API (gunicorn) or a worker (CMD override), pointed at MongoDB 7, MinIO or
# SeaweedFS and Redis 7 through environment variables. Not exercised by the test suite here (no
# Docker engine on the development machines); see README.
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1 FORMS_DIR=/srv/doorstep/forms
RUN useradd --create-home --uid 10001 doorstep
WORKDIR /srv/doorstep
COPY pyproject.toml README.md ./
COPY app ./app
COPY workers ./workers
COPY forms ./forms
RUN pip install . && python -c "import app, workers"
USER doorstep
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD python -c "import urllib.request; urllib.request.urlopen('http://127.0.0.1:8000/healthz', timeout=3)"
CMD ["gunicorn", "--bind", "0.0.0.0:8000", "--workers", "4", "--threads", "4", "--timeout", "120", \
     "--max-requests", "2000", "--max-requests-jitter", "200", "app:create_app()"]
