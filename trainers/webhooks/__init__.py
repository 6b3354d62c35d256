"""Signed webhooks: other systems told of changes, as Standard Webhooks says."""
