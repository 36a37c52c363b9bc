"""JOSE for registration protections: key sets (inline or JWKS URI, cached), JWS verification
(RFC 7515 / RFC 7519, hardened per RFC 8725) and the ``jti`` replay store.

Import from the submodules (``keysets``, ``jws``, ``replay``, ``errors``); ``replay`` needs the
Django app registry, the others do not touch the database.
"""
