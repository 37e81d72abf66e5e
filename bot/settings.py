"""Settings from the environment (and a `.env` file), built once and passed down.

Names follow Slack's and VCC's usual variables; the bot's own start with AGENTSTATE_. Secrets
are `SecretStr`: they print as `**********`. `load_settings()` turns any problem into a
`ConfigError` naming the variable, which `__main__` prints as one line with exit code 2.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Annotated, Any, Literal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot.errors import ConfigError

__all__ = ["Settings", "load_settings"]

Region = Literal["emea", "nam", "apac"]


class Settings(BaseSettings):
    """Every setting the bot reads. Field aliases are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env", extra="ignore", frozen=True, populate_by_name=False
    )

    # VCC
    vcc_region: Region = Field("emea", validation_alias="VCC_REGION")
    vcc_base_url: str | None = Field(None, validation_alias="VCC_BASE_URL")
    vcc_token_url: str | None = Field(None, validation_alias="VCC_TOKEN_URL")
    vcc_client_id: str | None = Field(None, validation_alias="VCC_CLIENT_ID")
    vcc_client_secret: SecretStr | None = Field(None, validation_alias="VCC_CLIENT_SECRET")
    vcc_timeout: float = Field(10.0, gt=0, le=120, validation_alias="AGENTSTATE_VCC_TIMEOUT")
    vcc_deadline: float = Field(30.0, gt=0, le=600, validation_alias="AGENTSTATE_VCC_DEADLINE")
    vcc_max_pages: int = Field(200, ge=1, le=10_000, validation_alias="AGENTSTATE_VCC_MAX_PAGES")
    vcc_max_mb: int = Field(64, ge=1, le=4096, validation_alias="AGENTSTATE_VCC_MAX_MB")
    # Requests/s to VCC, all APIs together. The simulator has no fair-use limit: there the app
    # leaves the budget unlimited unless this is set explicitly (see `model_fields_set`).
    vcc_rate: float = Field(1.0, gt=0, le=1000, validation_alias="AGENTSTATE_VCC_RATE")

    # Slack
    slack_bot_token: SecretStr | None = Field(None, validation_alias="SLACK_BOT_TOKEN")
    slack_signing_secret: SecretStr | None = Field(None, validation_alias="SLACK_SIGNING_SECRET")
    slack_app_token: SecretStr | None = Field(None, validation_alias="SLACK_APP_TOKEN")
    slack_api_url: str = Field("https://slack.com/api/", validation_alias="SLACK_API_URL")
    port: int = Field(3000, ge=1, le=65535, validation_alias="PORT")
    allowed_teams: Annotated[tuple[str, ...], NoDecode] = Field(
        (), validation_alias="AGENTSTATE_ALLOWED_TEAMS"
    )
    answer_workers: int = Field(16, ge=1, le=256, validation_alias="AGENTSTATE_ANSWER_WORKERS")
    answer_queue: int = Field(2000, ge=1, le=100_000, validation_alias="AGENTSTATE_ANSWER_QUEUE")
    max_connections: int = Field(
        1000, ge=10, le=100_000, validation_alias="AGENTSTATE_MAX_CONNECTIONS"
    )

    # The bot's own
    timezone: str = Field("UTC", validation_alias="AGENTSTATE_TIMEZONE")
    directory: Path | None = Field(None, validation_alias="AGENTSTATE_DIRECTORY")
    directory_ttl_minutes: int = Field(
        10, ge=1, le=1440, validation_alias="AGENTSTATE_DIRECTORY_TTL_MINUTES"
    )
    away_flag_minutes: int = Field(
        15, ge=1, le=1440, validation_alias="AGENTSTATE_AWAY_FLAG_MINUTES"
    )
    wrap_flag_minutes: int = Field(
        5, ge=1, le=1440, validation_alias="AGENTSTATE_WRAP_FLAG_MINUTES"
    )
    stale_seconds: int = Field(120, ge=5, le=86400, validation_alias="AGENTSTATE_STALE_SECONDS")
    history_days: int = Field(7, ge=1, le=93, validation_alias="AGENTSTATE_HISTORY_DAYS")
    # Never below VCC's 5 s response cache (shared/vcc/API.md §2): a faster poll reads the same.
    poll_seconds: float = Field(15, ge=5, le=600, validation_alias="AGENTSTATE_POLL_SECONDS")
    sim_agents: int = Field(60, ge=1, le=20_000, validation_alias="AGENTSTATE_SIM_AGENTS")
    sim_seed: int = Field(7, validation_alias="AGENTSTATE_SIM_SEED")
    sim_shifts: Literal["around-the-clock", "day"] = Field(
        "around-the-clock", validation_alias="AGENTSTATE_SIM_SHIFTS"
    )
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = Field(
        "INFO", validation_alias="AGENTSTATE_LOG_LEVEL"
    )

    # Storage (schedules, later)
    database_url: str = Field("sqlite:///agentstate.db", validation_alias="DATABASE_URL")
    redis_url: str | None = Field(None, validation_alias="REDIS_URL")

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(
                f"unknown time zone {value!r} (use an IANA name like Europe/London)"
            ) from exc
        return value

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: Any) -> Any:
        return value.upper() if isinstance(value, str) else value

    @field_validator("vcc_base_url", "vcc_token_url", "slack_api_url")
    @classmethod
    def _http_url(cls, value: str | None) -> str | None:
        if value is None:
            return value
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an https:// URL")
        try:
            parts.port  # noqa: B018 - urlsplit checks the port only when asked for it
        except ValueError:
            raise ValueError("has a port out of range (1-65535)") from None
        # Credentials and tokens travel on these: in the clear only to this machine.
        if parts.scheme == "http" and not _loopback(parts.hostname):
            raise ValueError("must be https:// (http:// only to this machine)")
        return value

    @field_validator("allowed_teams", mode="before")
    @classmethod
    def _comma_list(cls, value: Any) -> Any:
        if isinstance(value, str):
            return tuple(t.strip() for t in value.split(",") if t.strip())
        return value

    @field_validator("vcc_base_url")
    @classmethod
    def _api_root(cls, value: str | None) -> str | None:
        # API.md calls ".../stats" the Stats base URL; accept it as well as the host root.
        return value.rstrip("/").removesuffix("/stats") if value else value

    @model_validator(mode="after")
    def _pairs(self) -> Settings:
        if bool(self.vcc_client_id) != bool(self.vcc_client_secret):
            missing = "VCC_CLIENT_SECRET" if self.vcc_client_id else "VCC_CLIENT_ID"
            raise _Missing(missing, "is required when the other VCC credential is set")
        if self.slack_bot_token and not (self.slack_signing_secret or self.slack_app_token):
            raise _Missing(
                "SLACK_SIGNING_SECRET", "is required with SLACK_BOT_TOKEN (or set SLACK_APP_TOKEN)"
            )
        if self.slack_app_token and not self.slack_bot_token:
            raise _Missing("SLACK_BOT_TOKEN", "is required with SLACK_APP_TOKEN")
        return self

    # Derived values: computed from the fields above, so they cannot disagree with them.
    @property
    def simulated(self) -> bool:
        """No VCC credentials: run on the simulated contact center."""
        return not self.vcc_client_id

    @property
    def slack_enabled(self) -> bool:
        return self.slack_bot_token is not None

    @property
    def stats_base_url(self) -> str:
        """Root of the VCC API host; `/stats` and `/useradmin` hang off it."""
        return (self.vcc_base_url or f"https://{self.vcc_region}.api.newvoicemedia.com").rstrip("/")

    @property
    def token_url(self) -> str:
        return self.vcc_token_url or f"https://{self.vcc_region}.cc.vonage.com/Auth/connect/token"

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def away_flag(self) -> timedelta:
        return timedelta(minutes=self.away_flag_minutes)

    @property
    def vcc_max_bytes(self) -> int:
        return self.vcc_max_mb * 1024 * 1024

    @property
    def wrap_flag(self) -> timedelta:
        return timedelta(minutes=self.wrap_flag_minutes)


def _loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


class _Missing(ValueError):
    """A rule across two variables failed; carries the one to name."""

    def __init__(self, variable: str, problem: str) -> None:
        super().__init__(problem)
        self.variable = variable
        self.problem = problem


def _variable_for(loc: tuple[int | str, ...]) -> str:
    field_name = str(loc[0]) if loc else ""
    info = Settings.model_fields.get(field_name)
    alias = info.validation_alias if info else None
    return alias if isinstance(alias, str) else field_name.upper() or "settings"


def load_settings(
    env: Mapping[str, str] | None = None, *, env_file: Path | None = None
) -> Settings:
    """Build Settings from the process environment (or `env`, for tests).

    Raises:
        ConfigError: naming the first variable that is wrong, without echoing secrets.
    """
    try:
        if env is None:
            return Settings(_env_file=env_file or Path(".env"))
        return Settings.model_validate(dict(env))
    except ValidationError as exc:
        error = exc.errors()[0]
        cause = error.get("ctx", {}).get("error")
        if isinstance(cause, _Missing):
            raise ConfigError(cause.variable, cause.problem) from None
        message = str(error["msg"]).removeprefix("Value error, ")
        raise ConfigError(_variable_for(tuple(error["loc"])), message) from None
