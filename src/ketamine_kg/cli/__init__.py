"""The ketamine-kg command line (click)."""
