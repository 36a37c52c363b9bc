"""ASGI entry point (``uvicorn dcr_server.asgi:application``): measured in docs/performance.md;
production serves WSGI through ``bin/serve``."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "dcr_server.settings")
application = get_asgi_application()
