"""What every tier's tests share: the platform runner, the API helpers, the bus tap, polling."""
