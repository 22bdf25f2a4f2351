# One image per service:  docker build --build-arg SERVICE=parts -t aftersales-parts .
# (SERVICE=console builds the web console.) Multi-stage: wheels are built in a builder
# stage; the runtime stage has no compiler, runs as a non-root user and has a health check.
# Not exercised on the development machines, which have no Docker engine (see README).

FROM python:3.11-slim AS builder
ENV PIP_NO_CACHE_DIR=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /src
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY deploy ./deploy
COPY services/__init__.py ./services/__init__.py
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name>" && exit 1)
COPY services/${SERVICE} ./services/${SERVICE}
RUN rm -rf services/${SERVICE}/tests && pip wheel --wheel-dir /wheels .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
ARG SERVICE
COPY --from=builder /wheels /wheels
RUN pip install --no-index --find-links /wheels aftersales && rm -rf /wheels \
    && useradd --system --uid 10001 --home-dir /app aftersales && mkdir -p /app \
    && chown aftersales /app
WORKDIR /app
USER 10001
ENV SERVICE=${SERVICE} HTTP_HOST=0.0.0.0 HTTP_PORT=8000 DATA_DIR=/tmp/aftersales
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s --start-period=30s \
  CMD python -c "import os,urllib.request;urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ['HTTP_PORT'])"
CMD ["sh", "-c", "exec python -m services.${SERVICE}"]
