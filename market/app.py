"""The composition root: one Litestar app built from settings and a clock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from advanced_alchemy.extensions.litestar import AsyncSessionConfig, SQLAlchemyAsyncConfig, SQLAlchemyPlugin
from litestar import Litestar, Request, Router
from litestar.config.csrf import CSRFConfig
from litestar.datastructures import State
from litestar.di import NamedDependency, Provide
from litestar.openapi.config import OpenAPIConfig
from litestar.openapi.plugins import JsonRenderPlugin
from litestar.plugins.flash import FlashConfig, FlashPlugin
from litestar.plugins.jinja import JinjaTemplateEngine
from litestar.response import Redirect
from litestar.static_files import create_static_files_router
from litestar.stores.registry import StoreRegistry
from litestar.template.config import TemplateConfig
from sqlalchemy.ext.asyncio import AsyncSession

from market import privacy
from market.audit import KEY_INFO as AUDIT_KEY_INFO
from market.caching import NOTHING_DUE_AT, HttpCaching
from market.contract import OnceYamlRenderPlugin, StrictStructSchemaPlugin, document_api
from market.controllers import API_HANDLERS
from market.controllers._base import provide_viewer
from market.crossorigin import check_api_write
from market.decoding import StrictJSONRequest
from market.flows import catch_up
from market.headers import security_headers, strict_transport
from market.kernel.clock import Clock, SystemClock
from market.kernel.db import create_engine, row_clock
from market.models import KeyValue
from market.pages import PAGE_HANDLERS, HtmlErrorPages, password_change_first, register_template_helpers
from market.problems import internal_error, problem_details_plugin
from market.security import cookie_name, session_auth
from market.serving import PROBES, log_access, survive_lost_connections
from market.settings import Settings, get_settings
from market.ticker import ticker

# The request's database session exactly as stored, without the catch-up every other handler gets.
STORED_SESSION = "db_session_as_stored"
TEMPLATES = Path(__file__).resolve().parent.parent / "templates"
STATIC = Path(__file__).resolve().parent.parent / "static"


def create_app(settings: Settings | None = None, clock: Clock | None = None) -> Litestar:
    """Build the app; tests pass their own settings and a clock they control."""
    settings = settings or get_settings()
    clock = clock or SystemClock()
    engine = create_engine(settings.database_url, echo=False)
    alchemy = SQLAlchemyAsyncConfig(
        engine_instance=engine,
        # The audit chain is keyed with this app's key (market/audit.py), residents' numbers sealed with its phone
        # keys (market/privacy.py); neither ever goes into the database.
        session_config=AsyncSessionConfig(
            expire_on_commit=False,
            autoflush=True,
            info={AUDIT_KEY_INFO: settings.effective_audit_key(), privacy.INFO: privacy.of_settings(settings)},
        ),
        # Handlers take `db_session`, which is this session once time-due transitions are stored (below); the
        # session as stored is for the two tools that must see the store itself: the tick and the list check.
        session_dependency_key=STORED_SESSION,
        set_default_exception_handler=False,
    )
    # A connection lost after the answer was made (a database restart) does not break that answer.
    survive_lost_connections(alchemy)
    from advanced_alchemy.extensions.litestar.store import SQLAlchemyStore

    stores = StoreRegistry(default_factory=lambda name: SQLAlchemyStore(alchemy, model=KeyValue, namespace=name))
    auth = session_auth(settings, alchemy)
    # The JSON API decodes bodies strictly (a string is not a number or a boolean); see market/decoding.py.
    api = Router(path="/api/v1", route_handlers=API_HANDLERS, request_class=StrictJSONRequest)
    static = create_static_files_router(
        path="/static", directories=[STATIC], include_in_schema=False, opt={"exclude_from_auth": True}
    )
    templates = TemplateConfig(
        directory=TEMPLATES, engine=JinjaTemplateEngine, engine_callback=register_template_helpers
    )

    def provide_clock() -> Clock:
        return clock

    async def before_each_request(request: Request[Any, Any, Any]) -> Redirect | None:
        # New rows get `created_at` from this app's clock (see market.kernel.db.row_clock).
        row_clock.set(clock.now)
        # An API write from another site, or in a format a browser form can send, is refused before it is read.
        check_api_write(request, settings)
        # A temporary password from a committee reset is changed before any signed-in page is used.
        return password_change_first(request)

    def provide_settings() -> Settings:
        return settings

    async def provide_db_session(
        request: Request[Any, Any, Any], db_session_as_stored: NamedDependency[AsyncSession]
    ) -> AsyncSession:
        # Before a request reads anything, what time has made due is stored: every read on every worker then
        # shows the state of this instant, ticker or not (docs/design.md, "Time"). A public read's data-version
        # query (market/caching.py) has already asked at this request's instant, on this session.
        if request.scope["state"].get(NOTHING_DUE_AT) is None:
            await catch_up(db_session_as_stored, clock.now())
        return db_session_as_stored

    app = Litestar(
        route_handlers=[*PAGE_HANDLERS, api, static, *PROBES],
        # HtmlErrorPages wraps the problem-details handlers, so it comes after them.
        plugins=[
            SQLAlchemyPlugin(config=alchemy),
            StrictStructSchemaPlugin(),
            problem_details_plugin(),
            HtmlErrorPages(),
            FlashPlugin(FlashConfig(template_config=templates)),
        ],
        on_app_init=[auth.on_app_init],
        before_request=before_each_request,
        lifespan=[ticker(settings, clock)],
        request_max_body_size=settings.max_attachment_bytes + 1024 * 1024,
        dependencies={
            "clock": Provide(provide_clock, sync_to_thread=False),
            "db_session": Provide(provide_db_session),
            "settings": Provide(provide_settings, sync_to_thread=False),
            "viewer": Provide(provide_viewer),
        },
        stores=stores,
        # Every response, whoever answers it (a 304 from the caching middleware, a 404, a problem body, a static
        # file), carries the security headers (market/headers.py); over HTTPS, HSTS too (settings.secure_cookies).
        # Send hooks, not response_headers: those are resolved onto the shared route handlers, so they would leak
        # between apps.
        before_send=[security_headers, strict_transport] if settings.secure_cookies else [security_headers],
        # HTTP caching wraps the rest, so a 304 is answered before sessions or sign-in are looked at.
        middleware=[HttpCaching(alchemy, clock, session_cookie=auth.session_backend_config.key)],
        exception_handlers={Exception: internal_error},
        csrf_config=CSRFConfig(
            secret=settings.effective_secret(),
            cookie_name=cookie_name("jiebang_csrf", settings),
            cookie_samesite="lax",
            cookie_secure=settings.secure_cookies,
            # CSRF tokens guard the HTML forms; the JSON API's writes are held to JSON from this site instead
            # (market/crossorigin.py, checked in before_each_request).
            exclude=["/api/"],
        ),
        template_config=templates,
        openapi_config=OpenAPIConfig(
            title="jiebang 揭榜",
            version="1",
            path="/schema",
            # JSON and YAML only: Litestar's interactive UIs load scripts from a CDN, and nothing we serve may
            # load anything from outside the server. /api-docs is the readable reference.
            render_plugins=[JsonRenderPlugin(path="/openapi.json"), OnceYamlRenderPlugin(path="/openapi.yaml")],
            use_handler_docstrings=True,
        ),
        signature_namespace={"Clock": Clock, "Settings": Settings, "Any": Any},
        debug=settings.debug,
        state=State({"settings": settings, "alchemy": alchemy}),
    )
    document_api(app)
    return log_access(app) if settings.access_log else app
