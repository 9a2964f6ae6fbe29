"""Proposal attachments through the HTTP API: types checked by their bytes, sizes limited, names cleaned, sealed."""

from __future__ import annotations

import dataclasses
import hashlib
import io
import zipfile
from datetime import datetime
from typing import Any

import httpx
import pytest

from market.settings import Settings
from tests.factories import Api, As, draft_proposal, posted_task, problem

LIMIT = 4096
MAX_FILES = 4

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"


def docx() -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("[Content_Types].xml", '<?xml version="1.0"?><Types/>')
        z.writestr("word/document.xml", '<?xml version="1.0"?><w:document/>')
    return buf.getvalue()


DOCX = docx()
DOCX_TYPE = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """The suite's settings with a small size limit and few files per proposal, so the limits are cheap to hit."""
    return dataclasses.replace(settings, max_attachment_bytes=LIMIT, max_attachments_per_proposal=MAX_FILES)


async def upload(
    who: As, proposal_id: int, name: str, content: bytes, content_type: str = "application/octet-stream"
) -> httpx.Response:
    return await who.post(f"/proposals/{proposal_id}/attachments", files={"data": (name, content, content_type)})


async def attachments_of(who: As, proposal_id: int) -> list[dict[str, Any]]:
    return list((await who.ok("GET", f"/proposals/{proposal_id}"))["attachments"])


async def setup(api: Api, **task: Any) -> tuple[As, dict[str, Any], dict[str, Any]]:
    owner = await api.org_member()
    t = await posted_task(api, **task)
    return owner, t, await draft_proposal(owner, t["id"])


@pytest.mark.parametrize(
    ("name", "content", "content_type"),
    [("方案.pdf", PDF, "application/pdf"), ("现场照片.PNG", PNG, "image/png"), ("预算表.docx", DOCX, DOCX_TYPE)],
)
async def test_pdf_png_and_docx_are_accepted_and_come_back_unchanged(
    api: Api, name: str, content: bytes, content_type: str
) -> None:
    owner, _, p = await setup(api)
    r = await upload(owner, p["id"], name, content)
    assert r.status_code == 201, r.text
    a = r.json()
    assert a == {
        "id": a["id"],
        "filename": name,
        "content_type": content_type,
        "size_bytes": len(content),
        "sha256": hashlib.sha256(content).hexdigest(),
    }
    assert await attachments_of(owner, p["id"]) == [a]

    got = await owner.get(f"/proposals/{p['id']}/attachments/{a['id']}")
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["content-type"].startswith(content_type)
    assert got.headers["content-disposition"].startswith("attachment")


@pytest.mark.parametrize("name", ["setup.exe", "说明.txt", "脚本.pdf.sh", "无扩展名", "archive.zip", ".pdf"])
async def test_a_file_type_outside_the_allowed_list_is_refused(api: Api, name: str) -> None:
    owner, _, p = await setup(api)
    problem(await upload(owner, p["id"], name, PDF), 422, field="file")
    assert await attachments_of(owner, p["id"]) == []


@pytest.mark.parametrize(
    ("name", "content"),
    [("方案.pdf", PNG), ("照片.png", PDF), ("照片.jpg", PNG), ("预算表.docx", PDF), ("旧版.doc", DOCX)],
)
async def test_content_that_does_not_match_its_extension_is_refused(api: Api, name: str, content: bytes) -> None:
    owner, _, p = await setup(api)
    problem(await upload(owner, p["id"], name, content), 422, field="file")
    assert await attachments_of(owner, p["id"]) == []


async def test_an_empty_file_is_refused(api: Api) -> None:
    owner, _, p = await setup(api)
    problem(await upload(owner, p["id"], "空白.pdf", b""), 422, field="file")
    assert await attachments_of(owner, p["id"]) == []


async def test_a_file_over_the_size_limit_is_refused(api: Api) -> None:
    owner, _, p = await setup(api)
    exact = PDF + b"0" * (LIMIT - len(PDF))
    body = problem(await upload(owner, p["id"], "超大.pdf", exact + b"0"), 413, field="file")
    assert "4 KB" in body["detail"] or "4096" in body["detail"], body["detail"]
    assert await attachments_of(owner, p["id"]) == []
    # Exactly at the limit is within it.
    r = await upload(owner, p["id"], "刚好.pdf", exact)
    assert r.status_code == 201, r.text
    assert [a["size_bytes"] for a in await attachments_of(owner, p["id"])] == [LIMIT]


async def test_a_proposal_holds_a_limited_number_of_files(api: Api) -> None:
    owner, _, p = await setup(api)
    for i in range(MAX_FILES):
        assert (await upload(owner, p["id"], f"附件{i}.pdf", PDF)).status_code == 201
    problem(await upload(owner, p["id"], "多余.pdf", PDF), 409)
    assert len(await attachments_of(owner, p["id"])) == MAX_FILES


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("../../etc/passwd.pdf", "passwd.pdf"),
        ("..\\..\\windows\\win.ini.pdf", "win.ini.pdf"),
        ("/var/lib/jiebang/方案.pdf", "方案.pdf"),
        ("..方案.pdf", "方案.pdf"),
        ("a\x7fb\u202ec.pdf", "abc.pdf"),  # DEL and a right-to-left override (which disguises extensions)
    ],
)
async def test_path_traversal_and_control_characters_are_cleaned_from_file_names(
    api: Api, raw: str, clean: str
) -> None:
    owner, _, p = await setup(api)
    r = await upload(owner, p["id"], raw, PDF)
    assert r.status_code == 201, r.text
    assert r.json()["filename"] == clean
    assert [a["filename"] for a in await attachments_of(owner, p["id"])] == [clean]
    # The bytes live only under the attachments directory, named by their hash.
    var = api.settings.var_dir
    written = [f for f in var.rglob("*") if f.is_file()]
    assert written == [api.settings.attachments_dir / r.json()["sha256"][:2] / r.json()["sha256"]]
    got = await owner.get(f"/proposals/{p['id']}/attachments/{r.json()['id']}")
    assert got.content == PDF


async def test_a_download_goes_to_the_proposal_s_organisations_and_is_not_found_for_anyone_else(api: Api) -> None:
    owner = await api.org_member()
    partner = await api.org_member()
    rival = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await draft_proposal(owner, task["id"], partner_ids=[partner.user["org"]["id"]])
    await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": True})
    a = (await upload(owner, p["id"], "方案.pdf", PDF)).json()
    await owner.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    url = f"/proposals/{p['id']}/attachments/{a['id']}"

    for who in (owner, partner):
        got = await who.get(url)
        assert got.status_code == 200
        assert got.content == PDF
        assert got.headers["content-disposition"].startswith("attachment")
    nowhere = problem(await rival.get(f"/proposals/{p['id']}/attachments/99999999"), 404)
    for who in (rival, api.anon, api.committee):
        assert problem(await who.get(url), 404) == nowhere
    # After the deadline the committee may read it; the public and rivals still may not.
    api.clock.set(datetime.fromisoformat(task["claim_deadline"]))
    assert (await api.committee.get(url)).content == PDF
    for who in (rival, api.anon):
        assert problem(await who.get(url), 404) == nowhere


async def test_only_the_lead_attaches_and_removes_files_and_only_on_a_draft(api: Api) -> None:
    owner = await api.org_member()
    partner = await api.org_member()
    rival = await api.org_member()
    task = await posted_task(api, allow_joint=True)
    p = await draft_proposal(owner, task["id"], partner_ids=[partner.user["org"]["id"]])
    await partner.ok("POST", f"/proposals/{p['id']}/invitation", status=200, json={"accept": True})
    problem(await upload(partner, p["id"], "方案.pdf", PDF), 403)
    problem(await upload(rival, p["id"], "方案.pdf", PDF), 404)
    problem(await api.anon.post(f"/proposals/{p['id']}/attachments", files={"data": ("a.pdf", PDF)}), 401)
    a = (await upload(owner, p["id"], "方案.pdf", PDF)).json()
    problem(await rival.delete(f"/proposals/{p['id']}/attachments/{a['id']}"), 404)
    problem(await partner.delete(f"/proposals/{p['id']}/attachments/{a['id']}"), 403)

    await owner.ok("POST", f"/proposals/{p['id']}/submit", status=200)
    problem(await upload(owner, p["id"], "补充.pdf", PDF), 409)
    problem(await owner.delete(f"/proposals/{p['id']}/attachments/{a['id']}"), 409)
    assert [x["id"] for x in await attachments_of(owner, p["id"])] == [a["id"]]

    await owner.ok("POST", f"/proposals/{p['id']}/withdraw", status=200)
    again = await draft_proposal(owner, task["id"])
    b = (await upload(owner, again["id"], "方案.pdf", PDF)).json()
    await owner.ok("DELETE", f"/proposals/{again['id']}/attachments/{b['id']}", status=204)
    assert await attachments_of(owner, again["id"]) == []
    problem(await owner.get(f"/proposals/{again['id']}/attachments/{b['id']}"), 404)
    problem(await owner.delete(f"/proposals/{again['id']}/attachments/{b['id']}"), 404)
