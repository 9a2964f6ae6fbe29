"""Django settings for the peer: production-like (DEBUG off, persistent connections), nothing it doesn't use.

The database is jiebang's, named by the same JIEBANG_DATABASE_URL that jiebang reads.
"""

from __future__ import annotations

import os
from pathlib import Path
from urllib.parse import urlsplit

BASE_DIR = Path(__file__).resolve().parent


def _database(url: str) -> dict[str, object]:
    """Django's DATABASES entry for a SQLAlchemy URL (sqlite+aiosqlite:///path or postgresql+asyncpg://…)."""
    if url.startswith("sqlite"):
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": url.split(":///", 1)[1], "CONN_MAX_AGE": None}
    parts = urlsplit(url)
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": parts.path.lstrip("/"),
        "USER": parts.username or "",
        "PASSWORD": parts.password or "",
        "HOST": parts.hostname or "",
        "PORT": str(parts.port or ""),
        # Kept open across requests, as a production deployment would.
        "CONN_MAX_AGE": None,
    }


SECRET_KEY = os.environ.get("PEER_SECRET_KEY", "bench-peer-not-secret")
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
ROOT_URLCONF = "peer.urls"
WSGI_APPLICATION = "peer.wsgi.application"
INSTALLED_APPS = ["django.contrib.contenttypes", "rest_framework", "peer"]
MIDDLEWARE = ["django.middleware.security.SecurityMiddleware", "django.middleware.common.CommonMiddleware"]
TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "APP_DIRS": True, "OPTIONS": {}}]
DATABASES = {"default": _database(os.environ["JIEBANG_DATABASE_URL"])}
USE_TZ = True
# JSON times in UTC, as jiebang writes them; the template shows Shanghai time ({% timezone %}).
TIME_ZONE = "UTC"
LANGUAGE_CODE = "zh-hans"
USE_I18N = False
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
REST_FRAMEWORK = {
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_AUTHENTICATION_CLASSES": [],
    "DEFAULT_PERMISSION_CLASSES": [],
    "UNAUTHENTICATED_USER": None,
}
LOGGING = {"version": 1, "disable_existing_loggers": False}
