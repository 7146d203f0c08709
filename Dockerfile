# syntax=docker/dockerfile:1
# One image for every Python service of the suite; compose.yaml picks the command:
#   wolfit web | wolfit activity | arq src.jobs.WorkerSettings | wolfit migrate
# Build: docker build -t wolfit-async .        Secrets come at run time, never at build time.

# --- build: a virtualenv with the package and its dependencies ------------------------------
FROM python:3.11-slim AS build
WORKDIR /build
# What scripts/install needs, and nothing else: the package metadata, the script, the code.
COPY pyproject.toml setup.cfg README.md ./
COPY scripts/install scripts/
COPY src/ src/
# The same install step as `make run` and `make test`, non-editable so /build is not needed
# at run time. Every dependency ships wheels for 3.11, so no compiler is installed anywhere.
RUN --mount=type=cache,target=/root/.cache/pip \
    VENV=/opt/venv EDITABLE=0 scripts/install

# --- run: the slim base, the virtualenv, a user without privileges -------------------------
FROM python:3.11-slim
RUN useradd --system --create-home --home-dir /app --uid 10001 --user-group wolfit
COPY --from=build /opt/venv /opt/venv
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    HOST=0.0.0.0 \
    WOLFIT_VAR_DIR=/app/var
WORKDIR /app
USER wolfit
RUN mkdir -p /app/var
EXPOSE 8080 8081
CMD ["wolfit", "web"]
