"""The administration console: a tenant-scoped Django admin site.

- ``site.py``: the console site (product name, sidebar, superuser-only unscoped pages)
- ``scoped.py``: ``ScopedAdmin``, the base every tenant-data page derives from
- ``navigation.py``: the workspace switcher and the current workspace's sections
- ``clients.py``, ``tenants.py``: the pages; ``views.py``, ``forms.py``: Client Registration
- ``overview.py``: a workspace's landing page; ``once.py``: one-time display of secrets

The scope rule itself is ``tenants.access``; every page here reaches tenant data through it.
"""

from registration.admin import clients, tenants  # noqa: F401  (registers the pages)
