"""Wire models for the VCC Insights Stats and User Admin APIs (see shared/vcc/API.md).

Frozen pydantic models; field aliases carry the wire names; unknown fields are ignored so a
field VCC adds later is not a crash. A state VCC adds later becomes `State.UNKNOWN` with the
wire text kept in `raw_state`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from typing import Any, Generic, Literal, TypeVar

from pydantic import (
    AliasPath,
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    field_validator,
)

__all__ = [
    "AgentState",
    "AgentStatus",
    "Group",
    "GroupMember",
    "Include",
    "Interaction",
    "Meta",
    "Page",
    "Presence",
    "State",
    "StateRows",
    "StatusSnapshot",
    "Token",
    "User",
    "Workload",
    "format_time",
]


def format_time(at: datetime) -> str:
    """The one time format VCC is known to accept: `YYYY-MM-DDTHH:MM:SS.sssZ`, UTC."""
    if at.tzinfo is None:
        raise ValueError("VCC times must be timezone-aware")
    utc = at.astimezone(UTC)
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


class _Wire(BaseModel):
    model_config = ConfigDict(frozen=True, populate_by_name=True, extra="ignore")


class State(StrEnum):
    """The simplified WFM states of `/stats/wfm/agent-states`."""

    READY = "Ready"
    READY_RFO = "ReadyRFO"
    AWAY = "Away"
    EXTENDED_AWAY = "ExtendedAway"
    LOGGED_OUT = "LoggedOut"
    BUSY = "Busy"
    WRAP = "Wrap"
    UNEXPECTED = "Unexpected"
    FAILED = "Failed"
    UNKNOWN = "Unknown"

    @classmethod
    def from_wire(cls, text: str) -> State:
        """Map wire text to a state: `Fault` is `Failed` (API.md §9); anything new is UNKNOWN."""
        return _FROM_WIRE.get(text, cls.UNKNOWN)


_FROM_WIRE: dict[str, State] = {s.value: s for s in State}
_FROM_WIRE["Fault"] = State.FAILED
del _FROM_WIRE[State.UNKNOWN.value]


class Meta(_Wire):
    page: int = 1
    count: int = 0
    page_count: int = Field(0, alias="pageCount")
    total_count: int = Field(0, alias="totalCount")


T = TypeVar("T")


class Page(_Wire, Generic[T]):
    """One page of a Stats list: `{meta, items, upTo}`."""

    meta: Meta
    items: list[T]
    up_to: AwareDatetime = Field(alias="upTo")


class AgentState(_Wire):
    """One period an agent spent in one state. `duration_ms` is None while it lasts."""

    agent_id: str = Field(alias="agentId")
    start: AwareDatetime
    duration_ms: int | None = Field(alias="duration")
    raw_state: str = Field(alias="state")  # as VCC wrote it: "Fault", or a state added later
    description: str = ""

    @property
    def state(self) -> State:
        # A property, not a validator: a day of a big floor is ~10^5 rows to validate.
        return State.from_wire(self.raw_state)

    @field_validator("description", mode="before")
    @classmethod
    def _none_is_empty(cls, value: Any) -> Any:
        return "" if value is None else value

    @property
    def key(self) -> tuple[str, datetime]:
        """Rows are keyed by (agentId, start); a newer copy replaces an older one."""
        return (self.agent_id, self.start)

    @property
    def is_current(self) -> bool:
        return self.duration_ms is None

    def end_or(self, now: datetime) -> datetime:
        """When the period ended, or `now` for the current state."""
        if self.duration_ms is None:
            return max(now, self.start)
        return self.start + timedelta(milliseconds=self.duration_ms)


class Presence(_Wire):
    since: AwareDatetime
    name: str
    description: str = ""
    eligible_for_routing: bool = Field(False, alias="eligibleForRouting")


class Workload(_Wire):
    since: AwareDatetime | None = None
    calls: int = 0
    semi_live: int = Field(0, alias="semiLive")
    non_live: int = Field(0, alias="nonLive")


class Interaction(_Wire):
    guid: str
    channel_guid: str | None = Field(None, alias="channelGuid")
    since: AwareDatetime
    medium: str = ""
    medium_manager: str = Field("", alias="mediumManager")
    direction: str = ""
    state: str = ""
    reason: str | None = None


class AgentStatus(_Wire):
    """`/stats/agent-status` item: an agent's presence, workload and live interactions now."""

    agent_id: str = Field(alias="agentId")
    presence: Presence
    workload: Workload = Field(default_factory=Workload)
    interactions: list[Interaction] = Field(default_factory=list, alias="interaction")


class Token(_Wire):
    """OAuth token response; only `access_token` and `expires_in` are relied on.

    Validation errors never echo the input: it holds the access token.
    """

    model_config = ConfigDict(
        frozen=True, populate_by_name=True, extra="ignore", hide_input_in_errors=True
    )

    access_token: str = Field(repr=False)
    expires_in: int = 7200
    token_type: str = "Bearer"  # noqa: S105  # the OAuth token type name, not a secret
    scope: str | None = None


class User(_Wire):
    """User Admin user; `agent_id` is the agentDisplayId (= Stats agentId)."""

    user_id: str = Field(alias="userId")
    name: str = ""
    active: bool = True
    agent_id: str | None = Field(
        None,
        validation_alias=AliasPath(
            "userAccountConfiguration", "agentConfiguration", "agentDisplayId"
        ),
    )


class Group(_Wire):
    group_id: str = Field(alias="groupId")
    name: str = Field(alias="groupName")
    display_id: str | None = Field(None, alias="groupDisplayId")


class GroupMember(_Wire):
    user_id: str = Field(alias="userId")
    agent_id: str | None = Field(None, alias="agentDisplayId")
    name: str = ""


Include = Literal["Started", "StartedOrEnded", "Processed"]


@dataclass(frozen=True)
class StateRows:
    """WFM state rows for a window, de-duplicated by (agentId, start), sorted by start.

    `as_of` is when VCC produced them (the `upTo` of the first page).
    """

    rows: tuple[AgentState, ...]
    as_of: datetime


@dataclass(frozen=True)
class StatusSnapshot:
    """Every agent's current presence, workload and interactions; `as_of` as above."""

    items: tuple[AgentStatus, ...]
    as_of: datetime
