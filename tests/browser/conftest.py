from tests.celery_worker import celery_worker  # noqa: F401  (a fixture for this folder)
