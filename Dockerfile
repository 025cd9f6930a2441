# Production image: polling by default; set BOT_WEBHOOK_URL (and BOT_WEBHOOK_SECRET) for webhook mode, and
# BOT_WEBHOOK_LISTEN=0.0.0.0 to accept the proxy's connections from outside the container (loopback otherwise).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    BOT_DB_PATH=/data/jpsim-bot.sqlite3

WORKDIR /app
COPY pyproject.toml README.md ./
COPY app ./app
COPY bot ./bot
COPY conversations ./conversations
COPY content ./content
RUN pip install . \
    && useradd --system --uid 10001 --home-dir /app bot \
    && install -d -m 700 -o bot /data

USER bot
VOLUME ["/data"]
EXPOSE 8443
# SIGTERM (docker stop) shuts the bot down cleanly: in-flight updates finish, the database is closed.
STOPSIGNAL SIGTERM
CMD ["jpsim-bot"]
