# agentstate: one process serving /slack/events, /healthz and /readyz (or Socket Mode).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
WORKDIR /app

# Pinned dependencies first, so a code change does not reinstall them.
COPY requirements.lock pyproject.toml README.md ./
COPY bot ./bot
RUN pip install --no-cache-dir -c requirements.lock . \
    && useradd --system --home /app agentstate \
    && chown agentstate /app

USER agentstate
EXPOSE 3000
HEALTHCHECK --interval=30s --timeout=3s CMD python -c "import os, urllib.request; urllib.request.urlopen(f'http://127.0.0.1:{os.environ.get(\"PORT\", \"3000\")}/healthz', timeout=2)"
CMD ["python", "-m", "bot"]
