"""Planning every open request at once: plans.py is what callers use."""
