"""A minimal Django project serving django-oauth-toolkit's own DCR (the benchmark's second peer).

``make bench-peer`` runs it under the same gunicorn and database settings as the DCR server:
once with Django's default password hasher (PBKDF2, which DOT uses for client secrets), once
with a cheap one (``BENCH_DOT_HASHER=md5``), the fair comparison of the registration work itself.
"""
