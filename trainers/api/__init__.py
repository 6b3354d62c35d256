"""The JSON API under /api/v1/: bearer tokens, problem details, cursor pages,
ETags and idempotent creates, over the same services and scopes as the pages."""

PREFIX = "/api/v1"
