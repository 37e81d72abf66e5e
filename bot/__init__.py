"""agentstate: Vonage Contact Center agent states for supervisors, in Slack."""

__all__: list[str] = []
