from pathlib import Path
from typing import Any

from concord_shared.settings import ServiceSettings
from pydantic import ValidationError, ValidatorFunctionWrapHandler, field_validator
from pydantic_settings import SettingsConfigDict

from concord_routing.domain.access import ApiKey
from concord_routing.domain.rules import DEFAULT_RULES


class RoutingSettings(ServiceSettings):
    model_config = SettingsConfigDict(
        env_prefix="CONCORD_ROUTING_", extra="ignore", hide_input_in_errors=True
    )

    http_port: int = 8002
    # The files seed the store on first start; runtime changes go through the admin API.
    rules_path: Path = DEFAULT_RULES
    # After this many departments declined a case, the county platform coordinates it.
    max_declines: int = 3
    # API keys as JSON: {"<key>": {"role": "admin", "holder": "county letters office"}, ...}.
    # Roles: admin (rules, registry, every case), staff with "platform" (recategorise its
    # cases; read the routing of cases at it or below), auditor (audit; routing minimised).
    api_keys: dict[str, ApiKey] = {}

    @field_validator("api_keys", mode="wrap")
    @classmethod
    def _keys_unnamed_in_errors(cls, value: Any, handler: ValidatorFunctionWrapHandler) -> Any:
        # The mapping's keys are the secrets: say what is wrong, never which key.
        try:
            return handler(value)
        except ValidationError as exc:
            problems = sorted({e["msg"].removeprefix("Value error, ") for e in exc.errors()})
            raise ValueError("; ".join(problems)) from None
