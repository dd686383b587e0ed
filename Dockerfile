# Vexil, one replica per container: `docker build -t vexil .` then see docs/deployment.md.
#
#   docker run -p 8000:8000 -e VEXIL_DATABASE_URL=postgresql://vexil:...@db/vexil \
#     -e VEXIL_REDIS_URL=redis://cache:6379/0 -e VEXIL_ADMIN_TOKEN=... vexil
#
# Without VEXIL_DATABASE_URL it runs on SQLite in /var/lib/vexil (mount a volume there).

FROM python:3.11-slim AS build
WORKDIR /src
COPY pyproject.toml README.md constraints.txt ./
COPY packages ./packages
COPY src ./src
# Two distributions (docs/packaging.md): vexil-sdk (packages/vexil-sdk, whose src is a link to src/)
# and the server, which requires it. Every dependency at its version in constraints.txt; the wheels
# are built here and only installed below.
RUN pip wheel --no-cache-dir --wheel-dir /wheels -c constraints.txt ./packages/vexil-sdk .

FROM python:3.11-slim
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    VEXIL_HOST=0.0.0.0 \
    VEXIL_PORT=8000 \
    VEXIL_DATA_DIR=/var/lib/vexil
RUN useradd --system --uid 10001 --user-group --home-dir /var/lib/vexil --create-home --shell /usr/sbin/nologin vexil
COPY --from=build /wheels /wheels
RUN pip install --no-cache-dir --no-index /wheels/*.whl && rm -rf /wheels
USER vexil
WORKDIR /var/lib/vexil
VOLUME ["/var/lib/vexil"]
EXPOSE 8000
# /health answers 200 while the process serves, even with PostgreSQL or Redis down (evaluations
# still come from memory; `status` then says "degraded"): a failing check means the process is stuck.
HEALTHCHECK --interval=10s --timeout=3s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('VEXIL_PORT', '8000'), timeout=2)"]
# SIGTERM: uvicorn finishes in-flight requests, ends the event streams and exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["vexil"]
CMD ["serve", "--host", "0.0.0.0"]
