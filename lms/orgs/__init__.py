"""The organisation tree: districts, supervising departments, employer units and training
providers. Below accounts: it knows nothing of users; the city admin's page for keeping it is in
``lms.staff``."""
