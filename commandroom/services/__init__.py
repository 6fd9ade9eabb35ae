"""Domain services: routing by the responsibility list, deadlines, duplicate candidates, search."""
