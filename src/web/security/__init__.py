"""Passwords, sessions, CSRF, response headers and safe redirects of the web app."""
