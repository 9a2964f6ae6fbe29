"""The demo year's night classes (夜校): residents sign up, some cancel, attendance is taken."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from typing import Any

from market.demo._year import DAY, HOUR, Year, at_local, project_of

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗"
MOBILE_PREFIXES = ["135", "136", "137", "138", "139", "150", "151", "152", "155", "158", "159", "186", "187", "188"]
GIVEN = ["秀英", "桂兰", "建国", "玉梅", "志强", "海燕", "淑珍", "德明", "丽华", "国庆", "春梅", "永红"]
CLASS_TOPICS = ["识别电信网络诈骗", "养老理财防骗指南", "手机支付安全", "家庭理财入门", "小额信贷与征信"]


def _resident(year: Year, taken: set[str]) -> dict[str, str]:
    """A resident with a mobile number that looks like a real one and is not yet signed up for the class."""
    name = year.rng.choice(SURNAMES) + year.rng.choice(GIVEN)
    phone = ""
    while not phone or phone in taken:
        phone = year.rng.choice(MOBILE_PREFIXES) + f"{year.rng.randrange(10**8):08d}"
    taken.add(phone)
    return {"name": name, "phone": phone}


def schedule_classes(
    year: Year, st: dict[str, Any], fate: str, started: datetime, now: datetime, communities: list[str]
) -> None:
    """Night classes (金融夜校) of a finance-education project: sessions, sign-ups, a waitlist, attendance."""
    # Classes are held while the project is in progress: before delivery for finished ones, around now otherwise.
    # The organiser schedules each in office hours a week ahead; it runs in the evening, 19:00 Shanghai time.
    first = at_local(started + 10 * DAY if fate in ("closed", "delivered") else now - 20 * DAY, 10)
    for k in range(3):
        created = first + k * 14 * DAY
        starts = at_local(created + 7 * DAY, 19)
        seats = 20 if k == 0 else 30
        crowd = seats + 4 if k == 0 else seats - 8
        _schedule_one_class(year, st, k, created, starts, seats, crowd, communities[k % len(communities)], now)


def _schedule_one_class(
    year: Year,
    st: dict[str, Any],
    k: int,
    created: datetime,
    starts: datetime,
    seats: int,
    crowd: int,
    community: str,
    now: datetime,
) -> None:
    cls: dict[str, Any] = {"tokens": [], "phones": set()}

    async def create() -> None:
        project = await project_of(year, st["task"])
        organiser = await year.login(year.org_member[project["organization_id"]])
        c = await organiser.call(
            "POST",
            f"/projects/{project['id']}/classes",
            {
                "topic": CLASS_TOPICS[(st["task"] + k) % len(CLASS_TOPICS)],
                "community_id": year.community_ids[community],
                "venue": f"{community}党群服务中心",
                "starts_at": starts.isoformat(),
                "seats": seats,
            },
        )
        cls["id"], cls["organiser"] = c["id"], organiser

    async def sign_up(n: int) -> None:
        receipt = await year.anon.call("POST", f"/classes/{cls['id']}/signups", _resident(year, cls["phones"]))
        cls["tokens"].append((receipt["id"], receipt["token"], receipt["status"]))

    async def cancel_two() -> None:
        confirmed = [(i, t) for i, t, status in cls["tokens"] if status == "confirmed"]
        for signup_id, token in confirmed[:2]:
            await year.anon.call("POST", f"/signups/{signup_id}/cancel", {"token": token})

    async def attendance() -> None:
        page = await cls["organiser"].call("GET", f"/classes/{cls['id']}/signups?status=confirmed")
        for row in page["items"]:
            await cls["organiser"].call(
                "POST",
                f"/classes/{cls['id']}/attendance",
                {"signup_id": row["id"], "attended": year.rng.random() < 0.85},
            )

    year.at(created, create)
    for n in range(crowd):
        when = created + DAY + n * (5 * DAY / crowd)
        if when < now:
            year.at(when, partial(sign_up, n))
    if crowd > seats and created + 6 * DAY < now:
        year.at(created + 6 * DAY, cancel_two)
    # Attendance is taken once the class is over (it runs about an hour and a half).
    if starts + 2 * HOUR < now:
        year.at(starts + 2 * HOUR, attendance)
