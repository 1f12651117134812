"""The mediator's pages (being built)."""

from fastapi import APIRouter

from concord_console.entrypoints.web import Console


def mediator_router(console: Console) -> APIRouter:
    return APIRouter(prefix="/mediator")
