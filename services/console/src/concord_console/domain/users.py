"""Who signs in to the console and what each person is bound to.

Every user has one role and one place: reception staff, mediators and leaders work at a
platform, a department clerk for a department. The console never widens that: the keys it
uses towards the services are chosen by the user's scope (`User.scope`), so what a person
may see and do is decided by the services' own access rules for that scope.

Citizens do not sign in: the receipt number and the verification code are their key.

Identity comes from a `Directory`: in development a YAML list with argon2 password hashes
(`PasswordDirectory`); an OpenID Connect provider fits the same shape through
`user_from_claims`, which maps a verified ID token's claims to a user.
"""

from collections.abc import Mapping
from enum import StrEnum
from pathlib import Path
from typing import Any, Protocol

import yaml
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from pydantic import BaseModel, ConfigDict, Field, model_validator


class Role(StrEnum):
    RECEPTION = "reception"  # registers visits, letters and calls at a platform
    MEDIATOR = "mediator"  # works the cases of a platform
    DEPARTMENT = "department"  # answers coordination requests for a department
    LEADER = "leader"  # reads ratings, indicators and the major cases of a platform


PLATFORM_ROLES = frozenset({Role.RECEPTION, Role.MEDIATOR, Role.LEADER})


class User(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    username: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]{1,63}$")
    role: Role
    platform: str | None = Field(default=None, pattern=r"^[0-9]{6,12}$")
    department: str | None = None
    # A staff member's display name or post ("东关调解员"); never a citizen's.
    display_name: str = ""
    password_hash: str = Field(default="", repr=False)

    @model_validator(mode="after")
    def _bound_to_one_place(self) -> "User":
        if self.role is Role.DEPARTMENT:
            if not self.department or self.platform:
                raise ValueError(f"{self.username}: a department user needs a department only")
        elif not self.platform or self.department:
            raise ValueError(f"{self.username}: a {self.role} user needs a platform only")
        return self

    @property
    def scope(self) -> str:
        """The name of the keys this user works with: "mediator@339901001001"."""
        return f"{self.role}@{self.department if self.role is Role.DEPARTMENT else self.platform}"

    @property
    def place(self) -> str:
        return self.department or self.platform or ""


class Directory(Protocol):
    def authenticate(self, username: str, password: str) -> User | None: ...

    def find(self, username: str) -> User | None: ...


_hasher = PasswordHasher()
# Verified when the username is unknown, so a wrong name costs as long as a wrong password
# and the answer time does not tell which names exist.
_DUMMY_HASH = _hasher.hash("concord-console-no-such-user")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


class PasswordDirectory:
    """Users from a YAML list (`users: [{username, role, platform, password_hash}, ...]`)."""

    def __init__(self, users: Mapping[str, User]) -> None:
        self._users = dict(users)

    @classmethod
    def load(cls, path: Path) -> "PasswordDirectory":
        with path.open(encoding="utf-8") as handle:
            data = yaml.safe_load(handle) or {}
        users = [User.model_validate(entry) for entry in data.get("users", [])]
        names = [u.username for u in users]
        if len(set(names)) != len(names):
            raise ValueError(f"{path}: usernames are not unique")
        return cls({u.username: u for u in users})

    @property
    def users(self) -> list[User]:
        return list(self._users.values())

    def find(self, username: str) -> User | None:
        return self._users.get(username)

    def authenticate(self, username: str, password: str) -> User | None:
        user = self._users.get(username)
        try:
            _hasher.verify(user.password_hash if user else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return user


def user_from_claims(claims: Mapping[str, Any], claim: str = "concord") -> User:
    """A user from an OpenID Connect ID token already verified by the caller: the identity
    provider puts the role and the place in one claim, e.g.
    ``"concord": {"role": "mediator", "platform": "339901001001"}``."""
    bound = claims.get(claim)
    if not isinstance(bound, Mapping):
        raise ValueError(f"the ID token has no {claim!r} claim with a role")
    return User(
        username=str(claims.get("preferred_username") or claims["sub"]).lower(),
        role=bound.get("role"),
        platform=bound.get("platform"),
        department=bound.get("department"),
        display_name=str(claims.get("name", "")),
    )
