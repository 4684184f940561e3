"""The X (API v2) adapter: the only module that imports tweepy.

Posts with OAuth 1.0a user context (`create_tweet(..., user_auth=True)`); a thread is the first post and then
each fragment as a reply to the previous one (the runner chains them through `reply_to`). tweepy's Client has
no timeout and a fixed host: a transport adapter on its public `client.session` adds both (see transport.py).
`wait_on_rate_limit` stays off: a 429 becomes RetryLater with the reset time, and the runner reschedules.

Access level. X reports the access level of OAuth 1.0a credentials in the `x-access-level` header of its
answers (`read`, `read-write`, `read-write-directmessages`). A token generated while the app was still "Read
only" reads fine and is refused on the first post, so every answer's header is remembered (a session hook),
`check` reports a read-only token, and a refused post is told apart from refused content:
- a 403 whose v1-style body has code 261 ("cannot perform write actions") is a credentials hold;
- a 403 "You are not permitted to perform this action." is ambiguous (X answers the same to an over-length
  post): it is a credentials hold when the access level is `read` (from this answer or an earlier one; when
  none was seen yet, one GET /2/users/me asks: a read, never a resend), and a refused fragment otherwise.
"""

from __future__ import annotations

import base64
import logging
import re
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import requests
import tweepy

from bot.credentials import DEFAULT_X_API_BASE_URL, ConnectionSettings, Environment, required_variables
from bot.i18n import _
from bot.model import Account
from bot.publishers.base import (
    AlreadyExists,
    CredentialsError,
    Identity,
    MediaExpired,
    MediaUpload,
    OutcomeUnknown,
    Published,
    PublishError,
    Rejected,
    ReplyRefused,
    RetryLater,
    UploadedMedia,
)
from bot.publishers.transport import make_session, protect_secrets, transport_error
from bot.publishers.xlimits import exhausted_cap, retry_at_from

logger = logging.getLogger(__name__)

DUPLICATE_DETAIL = "duplicate content"
REPLY_REFUSED_DETAIL = "reply to this conversation is not allowed"
USAGE_CAP_TITLE = "UsageCapExceeded"
RECENT_POSTS = 100  # GET /2/users/{id}/tweets: max_results is 5..100
MEDIA_IDS_INVALID = "media ids are invalid"  # 400 on POST /2/tweets: unknown, expired or another account's id
MEDIA_UPLOAD = "/2/media/upload"  # v2 one-shot upload (tweepy 4.17 only knows the retired v1.1 host)
MEDIA_METADATA = "/2/media/metadata"
ACCESS_LEVEL_HEADER = "x-access-level"
READ_ONLY = "read"
CANNOT_WRITE_CODE = 261  # v1.1 "Application cannot perform write actions."
NOT_PERMITTED_DETAIL = "not permitted to perform this action"
READ_WRITE_FIX = "set the app to Read and write, then regenerate the access token"


class XPublisher:
    """Publishes to one X account. Implements bot.publishers.base.Publisher."""

    platform = "x"

    def __init__(self, account: Account, env: Environment, settings: ConnectionSettings) -> None:
        self.account = account
        names = required_variables(account)  # API_KEY, API_SECRET, ACCESS_TOKEN, ACCESS_TOKEN_SECRET
        values: list[str] = []
        for name in names:
            value = env.get(name)
            if value is None:
                raise CredentialsError(
                    _("account {name!r}: {name2} is not set; add it to .env (see .env.example)").format(
                        name=account.name, name2=name
                    ),
                    name,
                )
            values.append(value)
        self._variables = names
        protect_secrets(*values)
        self._client = tweepy.Client(
            consumer_key=values[0],
            consumer_secret=values[1],
            access_token=values[2],
            access_token_secret=values[3],
            wait_on_rate_limit=False,
        )
        make_session(DEFAULT_X_API_BASE_URL, settings.x_api_base_url, settings.timeout_seconds, self._client.session)
        self._client.session.hooks["response"].append(self._remember_access_level)
        self.access_level: str | None = None  # from the x-access-level header of the latest answer that had it
        self._user_id: str | None = None
        self._username: str | None = account.handle

    # --- Publisher -------------------------------------------------------------------------------------

    def publish(
        self,
        text: str,
        reply_to: str | None = None,
        media: Sequence[MediaUpload] = (),
        media_ids: Sequence[str] = (),
    ) -> Published:
        """`media` is unused: X attaches the ids upload_media() returned."""
        try:
            response = self._client.create_tweet(
                text=text, in_reply_to_tweet_id=reply_to, media_ids=list(media_ids) or None, user_auth=True
            )
        except Exception as error:
            raise self._classify(
                error, "POST /2/tweets", writes=True, replying=reply_to is not None, with_media=bool(media_ids)
            ) from None
        data = response.data if isinstance(response.data, dict) else {}
        if not data.get("id"):
            raise OutcomeUnknown(
                "X: POST /2/tweets answered without a post id: the post may exist; look it up before sending again"
            )
        post_id = str(data["id"])
        logger.info(
            _("x {name}: posted {post_id}{value}").format(
                name=self.account.name, post_id=post_id, value=f" (reply to {reply_to})" if reply_to else ""
            )
        )
        return Published(post_id, self._url(post_id))

    def find_recent(self, text: str) -> Published | None:
        user_id = self._user_id or self._me().id
        try:
            response = self._client.get_users_tweets(
                user_id, max_results=RECENT_POSTS, tweet_fields=["entities", "note_tweet"], user_auth=True
            )
        except Exception as error:
            raise self._classify(error, "GET /2/users/:id/tweets", writes=False) from None
        wanted = _normalise(text)
        for tweet in response.data or []:
            if _tweet_matches(wanted, tweet.data):
                logger.info(_("x {name}: found {id} among recent posts").format(name=self.account.name, id=tweet.id))
                return Published(str(tweet.id), self._url(str(tweet.id)))
        return None

    def whoami(self) -> Identity:
        return self._me()

    def upload_media(self, media: Sequence[MediaUpload], now: datetime) -> tuple[UploadedMedia, ...]:
        """POST /2/media/upload (JSON, base64) then POST /2/media/metadata (alt text) for each image."""
        uploaded: list[UploadedMedia] = []
        for item in media:
            category = "tweet_gif" if item.mime == "image/gif" else "tweet_image"
            body = {
                "media": base64.b64encode(item.data).decode("ascii"),
                "media_category": category,
                "media_type": item.mime,
            }
            data = self._session_post(MEDIA_UPLOAD, body)
            media_id = str(data.get("id") or "")
            if not media_id:
                raise RetryLater(
                    _("X: POST {route} answered without a media id; upload again later").format(route=MEDIA_UPLOAD)
                )
            seconds = data.get("expires_after_secs")
            expires = now + timedelta(seconds=int(seconds)) if isinstance(seconds, int) else None
            self._session_post(MEDIA_METADATA, {"id": media_id, "metadata": {"alt_text": {"text": item.alt}}})
            logger.info(
                _("x {name}: uploaded {name2} as media {media_id}").format(
                    name=self.account.name, name2=item.name, media_id=media_id
                )
            )
            uploaded.append(UploadedMedia(media_id, expires))
        return tuple(uploaded)

    def access_problem(self) -> str | None:
        """After a request: why these credentials cannot post (a read-only token), or None."""
        if self.access_level == READ_ONLY:
            return self._read_only_message(f"{ACCESS_LEVEL_HEADER}: {READ_ONLY}")
        return None

    # --- internals ---------------------------------------------------------------------------------------

    def _me(self) -> Identity:
        """GET /2/users/me; remembers the id (for find_recent) and the username (for post URLs)."""
        try:
            response = self._client.get_me(user_auth=True)
        except Exception as error:
            raise self._classify(error, "GET /2/users/me", writes=False) from None
        user = response.data
        self._user_id = str(user.id)
        self._username = str(user.username)
        return Identity(self._user_id, str(user.name), self._username)

    def _session_post(self, route: str, body: Mapping[str, Any]) -> Mapping[str, Any]:
        """A JSON POST through tweepy's own session: same OAuth 1.0a signing, timeout and base URL as posting."""
        auth = tweepy.OAuth1UserHandler(
            self._client.consumer_key,
            self._client.consumer_secret,
            self._client.access_token,
            self._client.access_token_secret,
        ).apply_auth()
        try:
            response = self._client.session.post(DEFAULT_X_API_BASE_URL + route, json=body, auth=auth)
            with response:
                _raise_for_status(response)
                answer = response.json()
        except ValueError:
            raise RetryLater(
                _("X: POST {route}: the answer was not JSON; upload again later").format(route=route)
            ) from None
        except Exception as error:
            # An upload is not a publication: whatever happened, uploading again is harmless.
            raise self._classify(error, f"POST {route}", writes=False) from None
        data = answer.get("data") if isinstance(answer, dict) else None
        return data if isinstance(data, dict) else {}

    def _remember_access_level(self, response: requests.Response, *args: Any, **kwargs: Any) -> None:
        level = response.headers.get(ACCESS_LEVEL_HEADER)
        if level:
            self.access_level = level.strip().lower()

    def _read_only_message(self, evidence: str) -> str:
        token, secret = self._variables[2], self._variables[3]
        return _(
            "X: the access token of account {name!r} is read-only ({evidence}): it cannot post. "
            "{READ_WRITE_FIX}{READ_WRITE_FIX2} in the X developer portal (User authentication "
            "settings), and put the new {token} and {secret} in .env"
        ).format(
            name=self.account.name,
            evidence=evidence,
            READ_WRITE_FIX=READ_WRITE_FIX[0].upper(),
            READ_WRITE_FIX2=READ_WRITE_FIX[1:],
            token=token,
            secret=secret,
        )

    def _learn_access_level(self) -> str | None:
        """One GET /2/users/me to read the header when no answer has carried it yet; None if that fails."""
        if self.access_level is None:
            try:
                self._client.get_me(user_auth=True)
            except Exception:  # only a hint for classifying: its failure changes nothing
                logger.info(_("x {name}: could not read the access level").format(name=self.account.name))
        return self.access_level

    def _url(self, post_id: str) -> str:
        handle = self._username or self.account.handle or "i/web"
        return f"https://x.com/{handle}/status/{post_id}"

    def _classify(
        self, error: Exception, action: str, writes: bool, replying: bool = False, with_media: bool = False
    ) -> PublishError:
        """Map one tweepy or requests exception to the taxonomy; anything else is re-raised as a bug."""
        if isinstance(error, requests.RequestException):
            result = transport_error(error, "X", action, writes)
            logger.warning("x %s: %s", self.account.name, result)
            return result
        if not isinstance(error, tweepy.errors.HTTPException):
            raise error
        response = error.response
        status = int(response.status_code)
        body = _problem(response)
        detail = str(body.get("detail") or "; ".join(str(m) for m in error.api_messages) or response.reason)
        title = str(body.get("title") or "")
        where = f"X {action} ({status}): {detail}"
        logger.warning("x %s: %s %s", self.account.name, action, f"{status} {title} {detail}".strip())
        if status == 429:
            retry_at = retry_at_from(response.headers)
            if title == USAGE_CAP_TITLE:
                return RetryLater(
                    _("{where} — the monthly usage cap of this X app is exhausted").format(where=where), retry_at
                )
            return RetryLater(where, retry_at, exhausted_cap(response.headers))
        if status >= 500:
            if writes:  # a gateway can answer 5xx after the post was created (X 503 on threads under load)
                return OutcomeUnknown(
                    _("{where}: the post may exist; look it up before sending again").format(where=where)
                )
            return RetryLater(where)
        if with_media and status == 400 and any(MEDIA_IDS_INVALID in str(m).lower() for m in error.api_messages):
            return MediaExpired(
                _("{where} (the media ids are unknown or expired: upload the images again)").format(where=where)
            )
        if status == 401:
            return CredentialsError(
                _(
                    "X rejected the credentials of account {name!r} (401 Unauthorized): check {_variables} and "
                    "{_variables2} (all four must belong to the same app and account, with read and write "
                    "access)"
                ).format(
                    name=self.account.name, _variables=", ".join(self._variables[:-1]), _variables2=self._variables[-1]
                ),
                self._variables[2],
            )
        if status == 403:
            lowered = detail.lower()
            if CANNOT_WRITE_CODE in error.api_codes:
                return CredentialsError(
                    _(
                        "{message}; if the app already is Read and write, X has restricted its writing: see the "
                        "developer portal"
                    ).format(
                        message=self._read_only_message(f"code {CANNOT_WRITE_CODE}, cannot perform write actions")
                    ),
                    self._variables[2],
                )
            if writes and NOT_PERMITTED_DETAIL in lowered and self._learn_access_level() == READ_ONLY:
                return CredentialsError(
                    self._read_only_message(f"{ACCESS_LEVEL_HEADER}: {READ_ONLY}"), self._variables[2]
                )
            if DUPLICATE_DETAIL in lowered:
                return AlreadyExists(where)
            if replying and REPLY_REFUSED_DETAIL in lowered:
                return ReplyRefused(where)
            return Rejected(where)
        return Rejected(where)  # 400 and any other 4xx: X refused the request, nothing was written


_STATUS_ERRORS: dict[int, type[tweepy.errors.HTTPException]] = {
    400: tweepy.errors.BadRequest,
    401: tweepy.errors.Unauthorized,
    403: tweepy.errors.Forbidden,
    404: tweepy.errors.NotFound,
}


def _raise_for_status(response: requests.Response) -> None:
    """Raise what tweepy's Client would raise for this answer, so one _classify serves every call."""
    status = response.status_code
    if 200 <= status < 300:
        return
    if status == 429:
        reset = response.headers.get("x-rate-limit-reset")
        raise tweepy.errors.TooManyRequests(response, reset_time=int(reset) if reset and reset.isdigit() else None)
    if status >= 500:
        raise tweepy.errors.TwitterServerError(response)
    raise _STATUS_ERRORS.get(status, tweepy.errors.HTTPException)(response)


def _problem(response: requests.Response) -> Mapping[str, Any]:
    try:
        body = response.json()
    except ValueError:
        return {}
    return body if isinstance(body, dict) else {}


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _unescape(text: str) -> str:
    """X returns post text with &, < and > HTML-escaped; undo exactly those three."""
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _tweet_matches(wanted: str, tweet: Mapping[str, Any]) -> bool:
    """Does a post returned by X hold exactly `wanted`? Long posts carry their full text in note_tweet.

    X replaces URLs by t.co links; each one is matched against the URL it stands for (scheme optional, as
    X also links bare domains such as rree.gob.pe). A post with images ends with one more t.co link standing
    for them (its entity has a `media_key`, displayed as pic.x.com/...): it is not part of what we wrote.
    """
    source: Mapping[str, Any] = tweet.get("note_tweet") or tweet
    text = str(source.get("text") or "")
    entities = source.get("entities") or {}
    url_entities = [url for url in entities.get("urls", []) if isinstance(url, dict) and url.get("url")]
    media_links = {str(url["url"]) for url in url_entities if url.get("media_key")}
    links = {
        str(url["url"]): str(url.get("expanded_url") or url["url"])
        for url in url_entities
        if str(url["url"]) not in media_links
    }
    text = _normalise(_unescape(text))
    if media_links:
        trailing = "|".join(re.escape(link) for link in sorted(media_links, key=len, reverse=True))
        text = re.sub(f"(?:\\s*(?:{trailing}))+$", "", text)
    if not links:
        return text == wanted
    pattern = []
    position = 0
    splitter = re.compile("|".join(re.escape(link) for link in sorted(links, key=len, reverse=True)))
    for match in splitter.finditer(text):
        pattern.append(re.escape(text[position : match.start()]))
        expanded = re.sub(r"^https?://", "", links[match.group(0)]).rstrip("/")
        pattern.append(f"(?:https?://)?{re.escape(expanded)}/?")
        position = match.end()
    pattern.append(re.escape(text[position:]))
    return re.fullmatch("".join(pattern), wanted) is not None
