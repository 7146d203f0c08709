"""The site's URL map (docs/web-app.md). Every route has a name; views build URLs from names.

The static files (`/static`) are added with the templates that link them (`templating.py`).
The operator dashboard (`/admin`, `/api/ops`) lives in its own sub-package and adds its
routes with its own `setup_routes(app)`.
"""

from __future__ import annotations

from aiohttp import web

from src.web.views import auth, health, posts, users

__all__ = ["setup_routes"]

ID = "{id:[0-9]{1,19}}"


def setup_routes(app: web.Application) -> None:
    """Add every page, form target and service route of the site."""
    router = app.router
    router.add_get("/", posts.front_page, name="front_page")
    router.add_get("/c/{category}", posts.category, name="category")
    router.add_get(f"/p/{ID}", posts.post_page, name="post")
    router.add_post(f"/p/{ID}/vote", posts.vote, name="vote")
    router.add_post(f"/p/{ID}/comment", posts.comment, name="comment")
    router.add_get("/u/{username}", users.profile, name="profile")

    for path, name, show, handle in (
        ("/submit", "submit", posts.submit_form, posts.submit),
        ("/register", "register", auth.register_form, auth.register),
        ("/login", "login", auth.login_form, auth.login),
    ):
        resource = router.add_resource(path, name=name)
        resource.add_route("GET", show)
        resource.add_route("POST", handle)
    router.add_post("/logout", auth.logout, name="logout")

    router.add_get("/healthz", health.healthz, name="healthz")
    router.add_get("/metrics", health.metrics, name="metrics")
