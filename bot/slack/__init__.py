"""The Slack front door: a Bolt `AsyncApp` that acks at once and answers lazily.

    listeners     what each command and button does (module functions)
    register      the wiring: which listener answers what, and the Bolt app around them
    destinations  where an answer goes (`Destination`; `ResponseUrl`, retried within Slack's
                  limits, opened only for Slack's own hosts)
    poster        one response_url POST over the wire (aiohttp's client, or httpx's)
    lazy          the answers' queue: Bolt's lazy listeners run by a fixed set of workers;
                  busy and stopping notices; the response_url client sized to them
    ingress       what POST /slack/events goes through before Bolt (size, signature, replays)
    slash         `/agentstate` acked inline and its answer queued, beside Bolt
    serve         HTTP (/slack/events, /healthz, /readyz) or Socket Mode; `serve(app)`
    logfilters    what must never reach a log line (response_url paths, refused bodies)

Nothing is imported here, so installing the log filters does not load Bolt.
"""

__all__: list[str] = []
