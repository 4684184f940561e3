"""The schedule.yaml model: every key, its type, its rules and its documentation, in one place.

config.py validates against these declarations and `json_schema()` turns the same declarations into the
JSON Schema committed as schedule.schema.json (for editors), so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, get_args

from bot.i18n import N_, _
from bot.model import DEFAULT_NUMBERING, FACEBOOK_LIMIT, X_DEFAULT_LIMIT, X_LONG_POST_LIMIT, Platform

# Value kinds understood by config.py's readers.
STRING, INTEGER, ENUM, TIMEZONE, DATETIME, DURATION, NAMES, NUMBERING, MEDIA = (
    "string",
    "integer",
    "enum",
    "timezone",
    "datetime",
    "duration",
    "names",
    "numbering",
    "media",
)

DEFAULT_TIMEZONE = "America/Lima"
LANGUAGES = ("en", "es")  # the catalogs bot/catalog.py has (it checks it is the same list)
APPROVAL_REQUIRED, APPROVAL_NONE = "required", "none"
APPROVAL_CHOICES = (APPROVAL_REQUIRED, APPROVAL_NONE)
DURATION_PATTERN = r"^\s*(\d+\s*d)?\s*(\d+\s*h)?\s*(\d+\s*m)?\s*(\d+\s*s)?\s*$"
DATETIME_PATTERN = r"^\d{4}-\d{2}-\d{2}[ T]\d{1,2}:\d{2}(:\d{2}(\.\d+)?)?\s*(Z|[+-]\d{2}(:?\d{2})?)?$"
POST_ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$"
CREDENTIALS_PATTERN = r"^[A-Z][A-Z0-9_]*$"
HANDLE_PATTERN = r"^@?[A-Za-z0-9_]{1,15}$"
PAGE_ID_PATTERN = r"^[0-9]{1,30}$"


@dataclass(frozen=True)
class Field:
    """One key of schedule.yaml as the schema declares it: its kind, description and constraints."""

    name: str
    kind: str
    source: str  # the English description: a catalog message id (N_), numbers as {placeholders}
    required: bool = False
    platforms: tuple[str, ...] = ()  # account keys that apply to some platforms only
    choices: tuple[str, ...] = ()
    pattern: str | None = None
    minimum: int | None = None
    maximum: int | None = None
    default: Any = None

    @property
    def description(self) -> str:
        """What the key is for, in the language in use (editors show it on hover; hints quote it)."""
        return _(self.source).format(**_NUMBERS)


TOP_FIELDS = (
    Field(
        "timezone",
        TIMEZONE,
        N_("IANA time zone in which naive times are read, unless an account has its own."),
        default=DEFAULT_TIMEZONE,
    ),
    Field("accounts", "accounts", N_("The accounts to post as, by a name you choose."), required=True),
    Field("posts", "posts", N_("What to publish, when, and to which accounts."), required=True),
    Field(
        "approval",
        ENUM,
        N_(
            "required: a post goes out only after `python main.py approve` recorded the digest of its exact text "
            "(see docs/approvals.md); none: no approval step."
        ),
        choices=APPROVAL_CHOICES,
        default=APPROVAL_NONE,
    ),
    Field(
        "language",
        ENUM,
        N_(
            "Language of the bot's output (preview, validate, status, alerts): es (Spanish) or en (English). "
            "--lang and BOT_LANG override it; without any, the locale decides, else English."
        ),
        choices=LANGUAGES,
    ),
)

ACCOUNT_FIELDS = (
    Field("platform", ENUM, N_("Where this account lives."), required=True, choices=("x", "facebook")),
    Field(
        "credentials",
        STRING,
        N_(
            "Prefix of the environment variables holding this account's secrets, e.g. CANCILLERIA_X "
            "reads CANCILLERIA_X_API_KEY, ... (see .env.example)."
        ),
        required=True,
        pattern=CREDENTIALS_PATTERN,
    ),
    Field(
        "handle",
        STRING,
        N_("The X @handle (without or with '@')."),
        required=True,
        platforms=("x",),
        pattern=HANDLE_PATTERN,
    ),
    Field(
        "page_id",
        STRING,
        N_("The numeric id of the Facebook Page (quote it)."),
        required=True,
        platforms=("facebook",),
        pattern=PAGE_ID_PATTERN,
    ),
    Field("name", STRING, N_("Display name shown in previews, e.g. 'Cancillería del Perú'.")),
    Field("timezone", TIMEZONE, N_("The account's own time zone: posts' naive times are read in it.")),
    Field(
        "limit",
        INTEGER,
        N_(
            "Maximum length of one post. X: {x_limit} weighted characters (up to "
            "{x_long_limit} for accounts with long posts). Facebook: {facebook_limit}."
        ),
        minimum=20,
        maximum=FACEBOOK_LIMIT,
    ),
    Field(
        "numbering",
        NUMBERING,
        N_(
            "Label added to each post of a thread, with {{i}} (this post) and {{n}} (how many), or false "
            "for none. Counted inside the limit."
        ),
        default=DEFAULT_NUMBERING,
    ),
    Field(
        "plan",
        ENUM,
        N_("The X API plan of the app: sets the posting limits checked by preview and the price per post."),
        platforms=("x",),
        choices=("pay-per-use", "free", "basic", "pro"),
        default="pay-per-use",
    ),
    Field(
        "on_reply_refused",
        ENUM,
        N_(
            "If X refuses replies in a thread: 'series' posts the rest as standalone numbered posts, "
            "'stop' stops the thread."
        ),
        platforms=("x",),
        choices=("series", "stop"),
        default="series",
    ),
    Field(
        "mode",
        ENUM,
        N_("'single': the whole message as one post. 'series': split at `limit` into several posts."),
        platforms=("facebook",),
        choices=("single", "series"),
        default="single",
    ),
)

POST_FIELDS = (
    Field(
        "id",
        STRING,
        N_("Stable identity of this post. Changing it makes a new post; keep it when you edit the time."),
        required=True,
        pattern=POST_ID_PATTERN,
    ),
    Field("message", STRING, N_("Path of the message file, relative to this file's folder."), required=True),
    Field(
        "at",
        DATETIME,
        N_(
            "When to publish: 'YYYY-MM-DD HH:MM' (seconds and a UTC offset are allowed). Without an "
            "offset it is read in each target account's time zone."
        ),
        required=True,
        pattern=DATETIME_PATTERN,
    ),
    Field("to", NAMES, N_("Names of the accounts (from `accounts`) to publish to."), required=True),
    Field(
        "every",
        DURATION,
        N_("Space the posts of a thread by this much, e.g. 30m, 1h, 1h30m. Default: back to back."),
        pattern=DURATION_PATTERN,
    ),
    Field(
        "media",
        MEDIA,
        N_(
            "Images for this post (up to 4 JPEG, PNG or WEBP, or one GIF alone), each a `file` and its `alt` text. "
            "On X they go on the first post of the thread; on Facebook on the post (mode: series: the first one)."
        ),
    ),
)

MAX_MEDIA_ITEMS = 4  # bot/media.py checks the same limit, with a message that says what to do
MAX_ALT_LENGTH = 1000
_NUMBERS = {
    "x_limit": X_DEFAULT_LIMIT,
    "x_long_limit": X_LONG_POST_LIMIT,
    "facebook_limit": FACEBOOK_LIMIT,
    "max_alt": MAX_ALT_LENGTH,
}

MEDIA_FIELDS = (
    Field(
        "file",
        STRING,
        N_("Path of the image, relative to this file's folder, inside the project (e.g. media/escarapela.png)."),
        required=True,
    ),
    Field(
        "alt",
        STRING,
        N_("What the image shows, for people who cannot see it (at most {max_alt} characters). Required."),
        required=True,
    ),
)


def _property(field: Field) -> dict[str, Any]:
    schema: dict[str, Any] = {"description": field.description}
    if field.kind == ENUM:
        schema["enum"] = list(field.choices)
    elif field.kind == INTEGER:
        schema["type"] = "integer"
    elif field.kind == NAMES:
        names = {"type": "string", "minLength": 1}
        schema["anyOf"] = [names, {"type": "array", "items": names, "minItems": 1}]
    elif field.kind == MEDIA:
        item = _object(MEDIA_FIELDS)
        item["properties"]["file"]["minLength"] = 1
        item["properties"]["alt"].update(minLength=1, maxLength=MAX_ALT_LENGTH)
        schema.update(type="array", minItems=1, maxItems=MAX_MEDIA_ITEMS, items=item)
    elif field.kind == NUMBERING:
        schema["anyOf"] = [{"type": "string", "pattern": r"\{i\}"}, {"const": False}]
    elif field.kind == STRING and field.platforms == ("facebook",):
        schema["type"] = ["string", "integer"]  # an unquoted page id is still accepted
    else:
        schema["type"] = "string"
    if field.pattern and field.kind not in (NUMBERING,):
        schema["pattern"] = field.pattern
    if field.minimum is not None:
        schema["minimum"] = field.minimum
    if field.maximum is not None:
        schema["maximum"] = field.maximum
    if field.default is not None:
        schema["default"] = field.default
    return schema


def _object(fields: tuple[Field, ...]) -> dict[str, Any]:
    return {
        "type": "object",
        "additionalProperties": False,
        "required": [f.name for f in fields if f.required and not f.platforms],
        "properties": {f.name: _property(f) for f in fields},
    }


def json_schema() -> dict[str, Any]:
    """The JSON Schema (draft-07) of schedule.yaml."""
    account = _object(ACCOUNT_FIELDS)
    conditions = []
    for platform in get_args(Platform):
        others = [f.name for f in ACCOUNT_FIELDS if f.platforms and f.platforms != (platform,)]
        conditions.append(
            {
                "if": {"properties": {"platform": {"const": platform}}},
                "then": {
                    "required": [f.name for f in ACCOUNT_FIELDS if f.required and f.platforms == (platform,)],
                    "not": {"anyOf": [{"required": [name]} for name in others]},
                },
            }
        )
    account["allOf"] = conditions
    top = _object(TOP_FIELDS)
    top["properties"]["accounts"] = {
        "description": TOP_FIELDS[1].description,
        "type": "object",
        "minProperties": 1,
        "additionalProperties": {"$ref": "#/definitions/account"},
    }
    top["properties"]["posts"] = {
        "description": TOP_FIELDS[2].description,
        "type": "array",
        "minItems": 1,
        "items": {"$ref": "#/definitions/post"},
    }
    top["properties"]["timezone"]["type"] = "string"
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "$id": "schedule.schema.json",
        "title": _("Fiestas Patrias bot schedule"),
        **top,
        "definitions": {"account": account, "post": _object(POST_FIELDS)},
    }
