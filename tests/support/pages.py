"""A list read whole through its pages: each page's `Link: rel="next"` is the next one's
address, as a client of the API follows it."""

from typing import Any

import httpx


async def every_page(
    http: httpx.AsyncClient, url: str, params: dict[str, str] | None = None
) -> list[Any]:
    found: list[Any] = []
    r = await http.get(url, params=params)
    while True:
        assert r.status_code == 200, r.text
        found.extend(r.json())
        following = r.links.get("next", {}).get("url")
        if following is None:
            return found
        r = await http.get(following)
