"""Alerts: telling a person when something goes wrong, through Apprise (e-mail, Slack, Teams, webhooks...).

Services layer. Only `sender.py` and `probe.py` import apprise, and only inside the functions that deliver,
so `preview` and `validate` (which use `model` and `urls` for the light checks) never load it.
"""

from bot.alerts.model import ALERT_LEVELS, Alert, AlertKind, AlertLevel, parse_alert_level
from bot.alerts.sender import AlertSender, AppriseTarget, DeliveryError, Target
from bot.alerts.urls import AlertURL, UrlProblem, check_alert_urls, describe_url, locate_in_env, split_alert_urls

__all__ = [
    "ALERT_LEVELS",
    "Alert",
    "AlertKind",
    "AlertLevel",
    "AlertSender",
    "AlertURL",
    "AppriseTarget",
    "DeliveryError",
    "Target",
    "UrlProblem",
    "check_alert_urls",
    "describe_url",
    "locate_in_env",
    "parse_alert_level",
    "split_alert_urls",
]
