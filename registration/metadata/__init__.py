"""Client metadata validation (RFC 7591 §2, OpenID Connect Dynamic Client Registration 1.0 §2).

Pure Python: values in, normalized metadata or a typed ``RegistrationError`` out.
"""

from .capabilities import ServerCapabilities
from .validator import validate_client_metadata

__all__ = ["ServerCapabilities", "validate_client_metadata"]
