# Anju 安居: the web application (gunicorn) and its Celery worker and beat share this image.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PYTHONPATH=/app \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings \
    ANJU_DATA_DIR=/data \
    MEDIA_ROOT=/data/media

# WeasyPrint's native libraries; a CJK font for PDFs (Noto: real bold and a serif face);
# libharfbuzz-subset0 so that font subsetting takes 0.1 s per PDF instead of 8-10 s.
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-noto-cjk \
    && rm -rf /var/lib/apt/lists/*

WORKDIR /app

# The project installs no Python package of its own (pyproject has `packages = []`), only
# its dependencies: installing from pyproject.toml alone keeps this layer cached across
# source changes. The code runs from /app (PYTHONPATH).
COPY pyproject.toml ./
RUN pip install .

COPY . .

# Static files are collected at build time (whitenoise serves them, compressed and hashed).
# Settings refuse to load without production secrets: these build-only values never reach
# a running container.
RUN DEBUG=0 \
    SECRET_KEY=build-only-not-a-secret \
    FIELD_ENCRYPTION_KEYS=YnVpbGQtb25seS1ub3QtYS1yZWFsLWtleS0wMTIzNDU= \
    SEARCH_HASH_KEY=build-only \
    DATABASE_URL=postgres://build@localhost/build \
    python manage.py collectstatic --noinput

RUN useradd --system --uid 10001 --user-group --home-dir /app --no-create-home anju \
    && mkdir -p /data/media \
    && chown -R anju:anju /data
USER anju

EXPOSE 8000
# Bind, workers, timeout and the masked access log: config/gunicorn.conf.py.
CMD ["gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi"]
