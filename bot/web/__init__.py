"""The approvers' web page (`python main.py serve`): Flask, run by waitress (docs/web.md says why).

app.py     the routes: /login, /logout, / (the campaign page), /approve, /revoke, /api/status, /static/live.js
guard.py   what every response and request goes through: headers, client address, cookies, body size, throttle
views.py   the page (the one rendering of bot/html, with the forms), the sign-in page, refusals
static/    live.js: the page's only script, which polls /api/status and updates the states in place

Flask and werkzeug are imported only here and by the `serve` command; nothing below this layer imports them.
"""
