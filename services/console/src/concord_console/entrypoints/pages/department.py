"""The department's pages (being built)."""

from fastapi import APIRouter

from concord_console.entrypoints.web import Console


def department_router(console: Console) -> APIRouter:
    return APIRouter(prefix="/department")
