"""Response headers shared by every endpoint."""

# RFC 6749 §5.1 / RFC 7591 §3.2.1: responses carrying secrets, tokens or errors are not cached.
NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}
