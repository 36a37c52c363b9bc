"""Runnable examples of services that use dcr-server (see docs/mcp.md)."""
