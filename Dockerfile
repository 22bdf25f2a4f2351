# One image per service: docker build --build-arg SERVICE=parts -t aftersales-parts .
# (Not exercised on the development machines, which have no Docker engine.)
FROM python:3.11-slim AS base
ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_NO_CACHE_DIR=1
WORKDIR /app
COPY pyproject.toml README.md ./
COPY shared ./shared
COPY deploy/__init__.py ./deploy/__init__.py
COPY services/__init__.py ./services/__init__.py
ARG SERVICE
RUN test -n "$SERVICE" || (echo "build with --build-arg SERVICE=<name>" && exit 1)
COPY services/${SERVICE} ./services/${SERVICE}
RUN pip install . && useradd --system --uid 10001 aftersales
USER aftersales
ENV SERVICE=${SERVICE} HTTP_HOST=0.0.0.0 HTTP_PORT=8000
EXPOSE 8000
HEALTHCHECK --interval=15s --timeout=3s CMD python -c "import urllib.request,os;urllib.request.urlopen(f'http://127.0.0.1:{os.environ[\"HTTP_PORT\"]}/health')"
CMD ["sh", "-c", "exec python -m services.${SERVICE}"]
