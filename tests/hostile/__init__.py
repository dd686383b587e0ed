"""Hostile callers: whatever a request carries, Vexil answers it in plain words and stays up."""
