# Every Concord deployable's image, one per build, from the repository root:
#   docker build --build-arg SERVICE=intake --build-arg PORT=8001 -t concord-intake .
# SERVICE is intake, routing, mediation, notification or console; PORT its HTTP port (the
# default of its settings). docker-compose.yml passes both for each service; the Helm chart
# runs the images as concord-<service>.
FROM python:3.11-slim
ARG SERVICE
ARG PORT
# The console's /ready asks the four services; its own liveness is /health.
ARG HEALTH_PATH=/ready
COPY --from=ghcr.io/astral-sh/uv:0.13.9 /uv /usr/local/bin/uv
WORKDIR /app
ENV UV_COMPILE_BYTECODE=1 UV_LINK_MODE=copy
COPY pyproject.toml uv.lock ./
COPY shared shared
COPY services services
COPY deploy/sample deploy/sample
COPY deploy/docker/entrypoint.sh /usr/local/bin/concord-entrypoint
RUN test -n "$SERVICE" || { echo "build with --build-arg SERVICE=<service>" >&2; exit 1; }; \
    test -n "$PORT" || { echo "build with --build-arg PORT=<its HTTP port>" >&2; exit 1; }; \
    uv sync --frozen --no-dev --package "concord-$SERVICE"
ENV CONCORD_SERVICE=$SERVICE CONCORD_PORT=$PORT CONCORD_HEALTH_PATH=$HEALTH_PATH
EXPOSE $PORT
HEALTHCHECK --interval=10s --timeout=3s --retries=6 \
  CMD python -c "import os,sys,urllib.request; sys.exit(urllib.request.urlopen('http://127.0.0.1:%s%s' % (os.environ['CONCORD_PORT'], os.environ['CONCORD_HEALTH_PATH'])).status != 200)"
ENTRYPOINT ["/usr/local/bin/concord-entrypoint"]
