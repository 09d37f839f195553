"""The learner's declarations over the JSON API."""
