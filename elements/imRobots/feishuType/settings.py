"""The robot's settings: the validated, defaulted config.json as typed fields."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..Meta.answer_settings import AnswerSettings
from ..Meta.connection_settings import ConnectionSettings

DOMAINS = {"feishu": "https://open.feishu.cn", "lark": "https://open.larksuite.com"}


def base_url(domain: str, offline_endpoint: str | None = None) -> str:
    """Where the robot talks to: the offline simulator when the app runs offline, else Feishu
    (China), Lark (international) or the base URL the config gives (a simulator, a gateway)."""
    return (offline_endpoint or DOMAINS.get(domain, domain)).rstrip("/")


@dataclass(frozen=True)
class RobotSettings(ConnectionSettings):
    """The family's connection timings and answer options, and what Feishu itself needs (every
    default is in the schema)."""

    answers: AnswerSettings
    app_id: str
    app_secret: str
    domain: str
    proxy: str

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> RobotSettings:
        return cls(
            **ConnectionSettings.fields_from(config),
            answers=AnswerSettings.from_config(config),
            app_id=config["appId"],
            app_secret=config["appSecret"],
            domain=config["domain"],
            proxy=config["proxy"],
        )
