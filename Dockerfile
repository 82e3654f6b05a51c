# Production-like image: gunicorn serving the portal, the same image runs Celery worker and beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

# WeasyPrint needs Pango; gettext compiles the translations.
RUN apt-get update \
 && apt-get install -y --no-install-recommends \
      libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-dejavu-core gettext curl \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY pdam ./pdam
COPY customers ./customers
COPY meters ./meters
COPY billing ./billing
COPY payments ./payments
COPY arrears ./arrears
RUN pip install .
COPY . .

# Build-time only values: the real SECRET_KEY comes from the environment at run time.
RUN SECRET_KEY=build-only DEBUG=0 python manage.py compilemessages --ignore=".venv/*" \
 && SECRET_KEY=build-only DEBUG=0 python manage.py collectstatic --noinput \
 && useradd --system --uid 1000 --home /app pdam \
 && mkdir -p /app/var/media && chown -R pdam /app/var

USER pdam
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s CMD curl -fsS http://127.0.0.1:8000/healthz || exit 1
CMD ["gunicorn", "pdam.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--timeout", "120", "--access-logfile", "-"]
