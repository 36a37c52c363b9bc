"""The production HTTP server's configuration (``bin/serve``): gunicorn settings and worker."""
