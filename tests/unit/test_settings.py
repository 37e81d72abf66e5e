"""settings: one clear error naming the variable; secrets never shown."""

from __future__ import annotations

import pytest

from bot.errors import ConfigError
from bot.settings import load_settings


class TestSettings:
    def test_defaults_run_on_the_simulator(self) -> None:
        """With nothing set the bot is simulated, console-only, in UTC."""
        settings = load_settings({})
        assert settings.simulated
        assert not settings.slack_enabled
        assert settings.timezone == "UTC"
        assert settings.token_url == "https://emea.cc.vonage.com/Auth/connect/token"

    def test_region_and_base_url(self) -> None:
        """The region picks the documented hosts; VCC_BASE_URL overrides the API host."""
        nam = load_settings({"VCC_REGION": "nam"})
        assert nam.stats_base_url == "https://nam.api.newvoicemedia.com"
        custom = load_settings({"VCC_BASE_URL": "https://nam.api.cc.vonage.com/"})
        assert custom.stats_base_url == "https://nam.api.cc.vonage.com"
        documented = load_settings({"VCC_BASE_URL": "https://nam.api.newvoicemedia.com/stats"})
        assert documented.stats_base_url == "https://nam.api.newvoicemedia.com"

    @pytest.mark.parametrize(
        ("env", "variable"),
        [
            ({"VCC_REGION": "mars"}, "VCC_REGION"),
            ({"AGENTSTATE_TIMEZONE": "Mars/Olympus"}, "AGENTSTATE_TIMEZONE"),
            ({"VCC_CLIENT_ID": "abc"}, "VCC_CLIENT_SECRET"),
            ({"VCC_CLIENT_SECRET": "abc"}, "VCC_CLIENT_ID"),
            ({"SLACK_BOT_TOKEN": "xoxb-1"}, "SLACK_SIGNING_SECRET"),
            ({"SLACK_APP_TOKEN": "xapp-1"}, "SLACK_BOT_TOKEN"),
            ({"PORT": "eighty"}, "PORT"),
            ({"AGENTSTATE_AWAY_FLAG_MINUTES": "0"}, "AGENTSTATE_AWAY_FLAG_MINUTES"),
            ({"VCC_BASE_URL": "ftp://x"}, "VCC_BASE_URL"),
        ],
    )
    def test_bad_setting_names_the_variable(self, env: dict[str, str], variable: str) -> None:
        """Each bad or missing setting raises ConfigError naming exactly that variable."""
        with pytest.raises(ConfigError) as caught:
            load_settings(env)
        assert caught.value.variable == variable
        assert "\n" not in str(caught.value)

    def test_secrets_are_hidden(self) -> None:
        """Secrets never appear in repr or str of the settings."""
        settings = load_settings(
            {
                "VCC_CLIENT_ID": "id",
                "VCC_CLIENT_SECRET": "s3cr3t-vcc",
                "SLACK_BOT_TOKEN": "xoxb-s3cr3t",
                "SLACK_SIGNING_SECRET": "s3cr3t-sign",
            }
        )
        shown = repr(settings) + str(settings)
        for secret in ("s3cr3t-vcc", "xoxb-s3cr3t", "s3cr3t-sign"):
            assert secret not in shown
        assert not settings.simulated
