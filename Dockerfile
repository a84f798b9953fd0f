# Image for the web, worker and beat services of docker-compose.yml.
FROM python:3.12-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    DJANGO_SETTINGS_MODULE=config.settings

WORKDIR /app

# Dependencies first, in a layer that survives code changes. pyproject.toml
# declares no packages (the code runs from /app), so this installs the deps.
COPY pyproject.toml README.md* ./
RUN touch README.md && pip install .

COPY . .
# Re-install without deps in case the packaging ever ships modules; collect
# static files at build time (settings need no database to import).
RUN pip install --no-deps . \
    && DJANGO_SECRET_KEY=collectstatic-only python manage.py collectstatic --noinput \
    && useradd --system --uid 10001 --user-group --home-dir /app --no-create-home app \
    && mkdir -p /app/.var/media \
    && chown -R app:app /app/.var

USER app
EXPOSE 8000

# The web service: migrate, optionally seed the demo data, then serve.
CMD ["sh", "-c", "python manage.py migrate --noinput && if [ \"${DISPATCH_SEED_DEMO:-0}\" = 1 ]; then python manage.py seed_demo; fi && exec gunicorn config.wsgi:application --bind 0.0.0.0:8000 -c gunicorn.conf.py --access-logfile -"]
