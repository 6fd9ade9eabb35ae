"""Reference data: loading and validating data/, generated township areas, demo history."""
