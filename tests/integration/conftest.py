"""Fixtures of the integration tests beyond the session's four services."""

from tests.support.mediation import mediation, mediation_namespace

__all__ = ["mediation", "mediation_namespace"]
