"""Conference reports: download a stored report file, for anyone who may see the family."""

from __future__ import annotations

from datetime import datetime

import anyio
from litestar import Response, get
from litestar.datastructures import State
from litestar.di import NamedDependency
from litestar.params import FromPath

from tracker.errors import NotFound
from tracker.people.caller import Caller
from tracker.plans import service
from tracker.plans.access import require_family
from tracker.staff import report_files
from tracker.staff.pages.common import web_actor
from tracker.staff.pages.common_queries import report_file


@get("/conferences/{conference_id:int}/reports/{user_id:int}")
async def download_report(conference_id: FromPath[int], user_id: FromPath[int],
                          staff: NamedDependency[Caller], now: NamedDependency[datetime],
                          state: State) -> Response[bytes]:
    """A professional's report for a conference, as the file they attached (404 when none).

    Every download is audited: who read which professional's report, about which family.
    """
    family_id = await service.conference_family(conference_id)
    await require_family(staff, family_id)
    var_dir = state["settings"].var_dir
    found = report_files.find_download(var_dir, await report_file(conference_id, user_id))
    if found is None:
        raise NotFound(f"report for conference {conference_id}")
    await report_files.record_download(
        conference_id=conference_id, owner_id=user_id, family_id=family_id,
        actor=web_actor(staff), file_name=found.download_name, now=now)
    # Reports are at most 10 MB (checked on upload), so reading one whole is fine.
    content = await anyio.Path(found.path).read_bytes()
    return Response(content=content, media_type=found.media_type, headers={
        "Content-Disposition": report_files.content_disposition(found.download_name),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store",
    })

