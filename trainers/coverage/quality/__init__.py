"""The data-quality lists: what the office should tidy."""
