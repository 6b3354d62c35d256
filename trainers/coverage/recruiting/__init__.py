"""Where to recruit: open demand no trainer reaches, and the districts to fix it."""
