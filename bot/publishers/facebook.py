"""The Facebook Page adapter (Graph API): the only module that imports facebook (facebook-sdk 3.1.0).

facebook-sdk 3.1.0 is from 2018 and needs guarding (see docs PLATFORMS.md):
- its constructor accepts only Graph versions 2.8 to 3.1 and defaults to the retired v2.8, so the configured
  version is written into every request path (`v25.0/<page>/feed`) and never taken from the library;
- it builds URLs on the module constant FACEBOOK_GRAPH_URL; instead of mutating that global, a transport
  adapter on the session sends the requests to `settings.facebook_graph_url` (see transport.py);
- it has no default timeout and never checks the HTTP status: a timeout is always set, and HTML error pages,
  bodies without a Content-Type and transport failures are classified here;
- it sends Python booleans as "True"/"False": parameters are only ever passed as strings.

Images: one image is a photo post (`POST /{page}/photos` with the file, the message and the alt text: the
upload is the publication, so upload_media() returns nothing for it); several are uploaded unpublished
(`published=false`, invisible, so repeating it is harmless) and attached to one `POST /{page}/feed`.

Series mode: a continuation of a message on Facebook is just another Page post, so `reply_to` is accepted
and ignored (there are no threads on a Page feed).
"""

from __future__ import annotations

import json
import logging
import unicodedata
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import facebook
import requests

from bot.credentials import DEFAULT_FACEBOOK_GRAPH_URL, ConnectionSettings, Environment, required_variables
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
    RetryLater,
    UploadedMedia,
)
from bot.publishers.transport import make_session, protect_secrets, transport_error

logger = logging.getLogger(__name__)

THROTTLED = frozenset({4, 17, 32, 613, 80001})
TEMPORARY = frozenset({1, 2})
TOKEN_INVALID = frozenset({102, 190})
DUPLICATE = 506
POST_PERMISSION = "pages_manage_posts"
READ_PERMISSION = "pages_read_engagement"
RECENT_POSTS = "100"
MEDIA_FBID = "media_fbid"  # named by Graph's code 100 answer when an attached photo id is not usable


class FacebookPublisher:
    """Publishes to one Facebook Page with a Page access token. Implements bot.publishers.base.Publisher."""

    platform = "facebook"

    def __init__(self, account: Account, env: Environment, settings: ConnectionSettings) -> None:
        self.account = account
        (self._variable,) = required_variables(account)  # PREFIX_PAGE_TOKEN
        token = env.get(self._variable)
        if token is None:
            raise CredentialsError(
                _(
                    "account {name!r}: {_variable} is not set; add the Page access token to .env (see .env.example)"
                ).format(name=account.name, _variable=self._variable),
                self._variable,
            )
        self._version = settings.facebook_graph_version
        self._page = account.page_id or "me"  # with a Page token, "me" is the Page itself
        session = make_session(DEFAULT_FACEBOOK_GRAPH_URL, settings.facebook_graph_url, settings.timeout_seconds)
        protect_secrets(token)
        # version left out of the constructor on purpose (it rejects every current version); set it after.
        self._graph = facebook.GraphAPI(access_token=token, timeout=settings.timeout_seconds, session=session)
        self._graph.version = self._version

    # --- Publisher -------------------------------------------------------------------------------------

    def publish(
        self,
        text: str,
        reply_to: str | None = None,
        media: Sequence[MediaUpload] = (),
        media_ids: Sequence[str] = (),
    ) -> Published:
        """Post `text` on the Page. `reply_to` is ignored: a continuation is simply another Page post.

        With one image and no `media_ids`, a photo post; with `media_ids`, a feed post with those photos.
        """
        if len(media) == 1 and not media_ids:
            return self._photo_post(text, media[0])
        params = {"message": text}
        for n, media_id in enumerate(media_ids):
            params[f"attached_media[{n}]"] = json.dumps({"media_fbid": media_id})
        try:
            result = self._request("POST", "feed", params, writes=True)
        except Rejected as error:
            if media_ids and not isinstance(error, AlreadyExists) and MEDIA_FBID in str(error):
                raise MediaExpired(
                    _("{error} (the photos are unknown or expired: upload them again)").format(error=error)
                ) from None
            raise
        post_id = str(result.get("id") or "")
        if not post_id:
            raise OutcomeUnknown(
                _(
                    "Facebook: POST /{_page}/feed answered without a post id: the post may exist; look it up "
                    "before sending again"
                ).format(_page=self._page)
            )
        logger.info(_("facebook {name}: posted {post_id}").format(name=self.account.name, post_id=post_id))
        return Published(post_id, _url(post_id))

    def find_recent(self, text: str) -> Published | None:
        result = self._request("GET", "feed", {"fields": "message,created_time", "limit": RECENT_POSTS})
        wanted = _normalise(text)
        for post in result.get("data") or []:
            if isinstance(post, dict) and _normalise(str(post.get("message") or "")) == wanted:
                post_id = str(post["id"])
                logger.info(
                    _("facebook {name}: found {post_id} among recent posts").format(
                        name=self.account.name, post_id=post_id
                    )
                )
                return Published(post_id, _url(post_id))
        return None

    def upload_media(self, media: Sequence[MediaUpload], now: datetime) -> tuple[UploadedMedia, ...]:
        """Several images: each uploaded as an unpublished photo. One image: nothing (it goes with the post)."""
        if len(media) <= 1:
            return ()
        uploaded: list[UploadedMedia] = []
        for item in media:
            params = {"published": "false", "alt_text_custom": item.alt}
            result = self._request("POST", "photos", params, files=_source(item))
            photo_id = str(result.get("id") or "")
            if not photo_id:
                raise RetryLater(
                    _("Facebook: POST /{_page}/photos answered without a photo id; upload again").format(
                        _page=self._page
                    )
                )
            logger.info(
                _("facebook {name}: uploaded {name2} as unpublished photo {photo_id}").format(
                    name=self.account.name, name2=item.name, photo_id=photo_id
                )
            )
            uploaded.append(UploadedMedia(photo_id, None))
        return tuple(uploaded)

    def whoami(self) -> Identity:
        """GET /{version}/me: with a Page token, "me" is the Page the token belongs to.

        Asking for `me` rather than the configured page id is what lets `check` notice a token of another
        Page (or a user token): Graph answers /{page-id} with that page's public fields for any valid token.
        """
        result = self._request("GET", "", {"fields": "name"}, node="me")
        return Identity(str(result.get("id") or ""), str(result.get("name") or ""))

    # --- internals ---------------------------------------------------------------------------------------

    def _photo_post(self, text: str, item: MediaUpload) -> Published:
        """One image: the photo post is the visible post; its `post_id` (not the photo's id) is the post."""
        params = {"message": text, "alt_text_custom": item.alt}
        result = self._request("POST", "photos", params, writes=True, files=_source(item))
        post_id = str(result.get("post_id") or "")
        if not post_id:
            raise OutcomeUnknown(
                _(
                    "Facebook: POST /{_page}/photos answered without a post id: the post may exist; look it up "
                    "before sending again"
                ).format(_page=self._page)
            )
        logger.info(_("facebook {name}: posted photo post {post_id}").format(name=self.account.name, post_id=post_id))
        return Published(post_id, _url(post_id))

    def _request(
        self,
        method: str,
        edge: str,
        params: dict[str, str],
        writes: bool = False,
        node: str | None = None,
        files: Mapping[str, tuple[str, bytes, str]] | None = None,
    ) -> Mapping[str, Any]:
        path = f"{self._version}/{node or self._page}" + (f"/{edge}" if edge else "")
        action = f"{method} /{path}"
        try:
            if method == "POST":
                result = self._graph.request(path, post_args=params, files=files)
            else:
                result = self._graph.request(path, args=params)
        except facebook.GraphAPIError as error:
            raise self._classify_graph(error, action, writes) from None
        except (KeyError, ValueError):
            # No Content-Type (KeyError) or a body that says JSON but is not (ValueError): the server answered
            # something we cannot read. A read can simply be retried; a write may have gone through.
            logger.warning(
                _("facebook {name}: {action}: unreadable answer").format(name=self.account.name, action=action)
            )
            if writes:
                raise OutcomeUnknown(
                    _(
                        "Facebook: {action}: the answer could not be read (no Content-Type or bad JSON): the post "
                        "may exist; look it up before sending again"
                    ).format(action=action)
                ) from None
            raise RetryLater(
                _("Facebook: {action}: the answer could not be read; try again later").format(action=action)
            ) from None
        except requests.RequestException as error:
            failure = transport_error(error, "Facebook", action, writes)
            logger.warning(_("facebook {name}: {failure}").format(name=self.account.name, failure=failure))
            raise failure from None
        if not isinstance(result, dict):
            raise RetryLater(_("Facebook: {action}: unexpected answer; try again later").format(action=action))
        return result

    def _classify_graph(self, error: Exception, action: str, writes: bool) -> PublishError:
        result = getattr(error, "result", None)
        if not isinstance(result, dict):
            # "Maintype was not text, image, or querystring": an HTML page, e.g. a 502 from a proxy.
            logger.warning(
                _("facebook {name}: {action}: non-JSON error page").format(name=self.account.name, action=action)
            )
            if writes:  # a proxy's 502 page says nothing about whether Graph created the post behind it
                return OutcomeUnknown(
                    _(
                        "Facebook: {action}: the server answered with an error page (not JSON): the post may "
                        "exist; look it up before sending again"
                    ).format(action=action)
                )
            return RetryLater(
                _("Facebook: {action}: the server answered with an error page (not JSON); try later").format(
                    action=action
                )
            )
        raw = result.get("error")
        details: dict[str, Any] = raw if isinstance(raw, dict) else {}
        code = _as_int(details.get("code"))
        subcode = _as_int(details.get("error_subcode"))
        message = str(details.get("message") or getattr(error, "message", "") or "unknown error")
        where = f"Facebook {action}: {message} (code {code}" + (f", subcode {subcode})" if subcode else ")")
        logger.warning(_("facebook {name}: {where}").format(name=self.account.name, where=where))
        if code in TOKEN_INVALID:
            return CredentialsError(
                _(
                    "{_variable} was rejected by Facebook (token expired or invalid): generate a new Page "
                    "access token with {POST_PERMISSION} and {READ_PERMISSION} (a System User token does not "
                    "expire) and put it in .env. {where}"
                ).format(
                    _variable=self._variable,
                    POST_PERMISSION=POST_PERMISSION,
                    READ_PERMISSION=READ_PERMISSION,
                    where=where,
                ),
                self._variable,
            )
        if code == 10 or (code is not None and 200 <= code <= 299):
            permission = POST_PERMISSION if writes else READ_PERMISSION
            return CredentialsError(
                _(
                    "the token in {_variable} lacks the {permission} permission: generate a Page access token "
                    "that has {POST_PERMISSION} and {READ_PERMISSION} and put it in .env. {where}"
                ).format(
                    _variable=self._variable,
                    permission=permission,
                    POST_PERMISSION=POST_PERMISSION,
                    READ_PERMISSION=READ_PERMISSION,
                    where=where,
                ),
                self._variable,
            )
        if code == DUPLICATE:
            return AlreadyExists(where)
        if code in THROTTLED:  # a clear refusal: nothing was written
            return RetryLater(where)
        if code in TEMPORARY or details.get("is_transient") is True:
            if writes:  # Graph answers code 2 (HTTP 500) after creating the post, too
                return OutcomeUnknown(
                    _("{where}: the post may exist; look it up before sending again").format(where=where)
                )
            return RetryLater(where)
        return Rejected(where)  # 100 invalid parameter, 368 blocked as abusive, and everything else


def _as_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str) and value.isdigit():
        return int(value)
    return None


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))


def _source(item: MediaUpload) -> dict[str, tuple[str, bytes, str]]:
    """The multipart `source` part of a photo upload."""
    return {"source": (item.name, item.data, item.mime)}


def _url(post_id: str) -> str:
    return f"https://www.facebook.com/{post_id}"
