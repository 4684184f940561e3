"""The page's only stylesheet, inlined: system fonts, no url(), no @import (the CSP would block them anyway)."""

from __future__ import annotations

CSS = """
:root {
  color-scheme: light;
  --ink: #17191c; --muted: #59636e; --faint: #8b96a2; --line: #dde2e8; --bg: #f3f4f6; --card: #fff;
  --accent: #c8102e; --x-link: #1d6fd1; --fb: #1877f2; --thread: #c9d3dc;
  --warn-ink: #7a4a00; --warn-bg: #fff5e0; --warn-line: #f0c36d;
  --ok-ink: #176b34; --ok-bg: #e6f4ea; --bad-ink: #a3211b; --bad-bg: #fdecea; --wait-ink: #3d4a57; --wait-bg: #eceff3;
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--ink);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
main { max-width: 780px; margin: 0 auto; padding: 0 16px 32px; }
p { margin: 0; }
code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: .9em; }
.approval { margin: .4em 0; padding: .35em .6em; border-radius: 6px; font-size: .92em; }
.approval-awaiting { background: #fff4e5; border: 1px solid #f0b860; }
.approval-approved { background: #e9f7ef; border: 1px solid #7cc49a; }
.approve-command { user-select: all; overflow-wrap: anywhere; }
a { color: var(--x-link); }
h1, h2, h3, h4 { line-height: 1.25; margin: 0; }

.masthead {
  background: var(--card); border-top: 6px solid var(--accent); border-radius: 0 0 14px 14px;
  padding: 22px 24px 20px; box-shadow: 0 1px 3px rgba(16, 24, 40, .08);
}
.eyebrow {
  color: var(--accent); font-size: .78rem; font-weight: 700; letter-spacing: .08em; text-transform: uppercase;
}
h1 { font-size: 1.6rem; margin: 6px 0 8px; overflow-wrap: anywhere; }
.lede { color: var(--muted); }
.as-of { color: var(--faint); font-size: .88rem; margin-top: 6px; }

.summary, .day { margin-top: 28px; }
.summary {
  background: var(--card); border: 1px solid var(--line); border-radius: 14px; padding: 20px 24px;
}
.summary h2 { font-size: 1.15rem; margin-bottom: 14px; }
.summary h3 { font-size: 1rem; margin: 20px 0 8px; }
.stats {
  list-style: none; margin: 0; padding: 0; display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fit, minmax(112px, 1fr));
}
.stat { background: var(--bg); border-radius: 10px; padding: 10px 12px; }
.stat-value { display: block; font-size: 1.35rem; font-weight: 700; font-variant-numeric: tabular-nums; }
.stat-label { color: var(--muted); font-size: .82rem; }
.stat-warn { background: var(--warn-bg); color: var(--warn-ink); }
.mode { margin-top: 14px; padding: 10px 12px; border-radius: 10px; font-size: .92rem; }
.mode-plan { background: var(--wait-bg); color: var(--wait-ink); }
.mode-outbox { background: var(--ok-bg); color: var(--ok-ink); }
.table-wrap { margin-top: 16px; }
table.accounts { width: 100%; border-collapse: collapse; font-size: .9rem; }
table.accounts caption { text-align: left; font-weight: 700; padding-bottom: 6px; }
table.accounts th, table.accounts td {
  text-align: left; padding: 8px 6px; border-bottom: 1px solid var(--line); vertical-align: top;
}
table.accounts td { font-variant-numeric: tabular-nums; }
table.accounts thead th { color: var(--muted); font-weight: 600; font-size: .8rem; }
.account-name { font-weight: 600; overflow-wrap: anywhere; }
.account-who { display: block; color: var(--muted); font-weight: 400; font-size: .85rem; overflow-wrap: anywhere; }
.cost-note { color: var(--faint); font-size: .82rem; margin-top: 8px; }
.no-warnings { color: var(--ok-ink); }
.warnings, .removed { margin: 0; padding: 0; list-style: none; display: grid; gap: 6px; }
.warning {
  background: var(--warn-bg); color: var(--warn-ink); border-left: 4px solid var(--warn-line);
  border-radius: 6px; padding: 8px 10px; font-size: .9rem; overflow-wrap: anywhere;
}
.warning a { color: inherit; font-weight: 600; }
.removed li { font-size: .9rem; overflow-wrap: anywhere; }

.day h2 {
  font-size: 1.25rem; padding: 0 0 8px; border-bottom: 2px solid var(--ink); margin-bottom: 4px;
}
.slot { margin-top: 18px; }
.slot-time {
  font-size: 1.05rem; display: flex; flex-wrap: wrap; align-items: baseline; gap: 4px 10px; margin-bottom: 10px;
}
.slot-time time { font-size: 1.5rem; font-variant-numeric: tabular-nums; }
.slot-time .utc, .slot-time .until { color: var(--muted); font-weight: 400; font-size: .9rem; }
.slot-time .until { background: var(--wait-bg); border-radius: 99px; padding: 1px 10px; }

.post {
  background: var(--card); border: 1px solid var(--line); border-radius: 14px; padding: 16px;
  margin-bottom: 18px; box-shadow: 0 1px 3px rgba(16, 24, 40, .06);
}
.post-head { margin-bottom: 12px; }
.post-head h4 { font-size: 1rem; }
.post-x .post-head h4::before, .post-facebook .post-head h4::before {
  display: inline-block; min-width: 1.6em; margin-right: 8px; padding: 0 6px; border-radius: 6px;
  color: #fff; font-size: .8rem; line-height: 1.6; text-align: center; vertical-align: 2px;
}
.post-x .post-head h4::before { content: "X"; background: #0f1419; }
.post-facebook .post-head h4::before { content: "f"; background: var(--fb); font-weight: 800; }
.post-head .account-name { color: var(--muted); font-weight: 400; font-size: .9rem; margin-left: 4px; }
.post-meta { color: var(--muted); font-size: .85rem; margin-top: 2px; overflow-wrap: anywhere; }
.post-id { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; }
.post-state { margin-top: 8px; font-size: .88rem; display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: baseline; }
.post-state .detail { color: var(--muted); overflow-wrap: anywhere; }
.post-state .action { flex-basis: 100%; color: var(--ink); overflow-wrap: anywhere; }
.post > .warnings { margin-bottom: 12px; }

.avatar {
  width: 40px; height: 40px; border-radius: 50%; flex: none;
  display: flex; align-items: center; justify-content: center;
  background: linear-gradient(135deg, #d91e36, #8f0a1f); color: #fff; font-weight: 700; font-size: .85rem;
}
.name { font-weight: 700; }
.handle { color: var(--muted); }
.meta {
  display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: baseline; margin-top: 8px;
  font-size: .8rem; color: var(--muted);
}
.length, .char-count { font-variant-numeric: tabular-nums; background: var(--bg); border-radius: 99px; padding: 0 8px; }
.length.over, .char-count.over { background: var(--bad-bg); color: var(--bad-ink); font-weight: 700; }

ol.thread { list-style: none; margin: 0; padding: 0; position: relative; }
/* The thread line: one line behind the cards, seen between them and beside the spacing labels. */
ol.thread::before {
  content: ""; position: absolute; left: 34px; top: 30px; bottom: 30px; width: 2px; background: var(--thread);
}
li.fragment { position: relative; margin-bottom: 12px; }
li.fragment:last-child { margin-bottom: 0; }
.gap { padding: 2px 0 10px 52px; color: var(--muted); font-size: .82rem; }
.tweet {
  position: relative; display: flex; gap: 12px; background: var(--card); border: 1px solid var(--line);
  border-radius: 12px; padding: 12px 14px;
}
.tweet-body { min-width: 0; flex: 1; }
.who { font-size: .93rem; overflow-wrap: anywhere; }
.who time { color: var(--muted); }
.tweet .text { white-space: pre-wrap; overflow-wrap: anywhere; margin-top: 2px; color: #0f1419; }
.link { color: var(--x-link); }
a.link { text-decoration: none; }
a.link:hover, a.link:focus { text-decoration: underline; }

.fb-posts { display: grid; gap: 12px; }
.fb-card { border: 1px solid var(--line); border-radius: 10px; padding: 12px 16px; background: var(--card); }
.fb-head { display: flex; gap: 10px; align-items: center; margin-bottom: 10px; }
.fb-head .avatar { background: linear-gradient(135deg, #2d88ff, #1259c3); }
.fb-head .name { color: #050505; }
.fb-head .sub { color: var(--muted); font-size: .8rem; }
.fb-text { color: #050505; overflow-wrap: anywhere; }
.fb-text p + p { margin-top: .9em; }
.fb-text .link { color: var(--fb); }
.media { display: grid; gap: 4px; margin-top: 10px; grid-template-columns: repeat(2, 1fr); }
.media-1 { grid-template-columns: 1fr; }
.media-item { margin: 0; }
.media-item img {
  display: block; width: 100%; height: auto; border: 1px solid var(--line); border-radius: 12px; background: #fff;
}
.media-item figcaption { color: var(--muted); font-size: .78rem; margin-top: 4px; overflow-wrap: anywhere; }
.media-alt abbr { font-weight: 700; text-decoration: none; border: 1px solid currentColor; border-radius: 3px;
  padding: 0 3px; font-size: .7rem; }
.media-changed { color: var(--warn-ink); }
.fold-marker {
  display: block; margin: 10px 0; padding: 6px 0 2px; border-top: 2px dashed #d98e04;
  color: var(--warn-ink); font-size: .8rem; line-height: 1.35;
}
.see-more { display: inline-block; color: #65676b; font-weight: 700; font-size: .95rem; margin-right: 6px; }

.state {
  display: inline-block; border-radius: 8px; padding: 0 8px; font-size: .8rem; font-weight: 600;
  overflow-wrap: anywhere;
}
.state-sent { background: var(--ok-bg); color: var(--ok-ink); }
.state-failed, .state-unknown, .state-missed, .state-conflict, .state-held {
  background: var(--bad-bg); color: var(--bad-ink);
}
.state-pending, .state-scheduled, .state-sending, .state-publishing, .state-removed {
  background: var(--wait-bg); color: var(--wait-ink);
}
.state a, .sent-link { color: inherit; font-weight: 400; }
.state-note { color: var(--bad-ink); font-size: .8rem; }

.page-foot { max-width: 780px; margin: 0 auto; padding: 8px 16px 40px; color: var(--faint); font-size: .82rem; }

@media (max-width: 520px) {
  main { padding: 0 10px 24px; }
  .masthead, .summary { padding: 16px; }
  h1 { font-size: 1.3rem; }
  .post { padding: 12px; }
  .tweet { padding: 10px; gap: 10px; }
  ol.thread::before { left: 30px; }
  .gap { padding-left: 48px; }
  /* the accounts table becomes one block per account: no sideways scrolling on a phone */
  table.accounts thead { display: none; }
  table.accounts tr { display: grid; grid-template-columns: repeat(auto-fit, minmax(90px, 1fr)); gap: 4px 8px; }
  table.accounts tr { padding: 8px 0; border-bottom: 1px solid var(--line); }
  table.accounts th, table.accounts td { display: block; padding: 0; border: 0; }
  table.accounts th { grid-column: 1 / -1; }
  table.accounts td::before { content: attr(data-label); display: block; color: var(--muted); font-size: .75rem; }
}

@media print {
  :root { --bg: #fff; }
  body { background: #fff; font-size: 11pt; }
  main { max-width: none; padding: 0; }
  .masthead, .summary, .post, .tweet, .fb-card, .stat { box-shadow: none; background: none; }
  .masthead { border-radius: 0; padding: 0 0 10px; }
  li.fragment, .fb-card, .post-head, .warning, tr { break-inside: avoid; page-break-inside: avoid; }
  .day h2, .slot-time { break-after: avoid; page-break-after: avoid; }
  .avatar { border: 1px solid #999; background: none; color: #000; }
  a { color: inherit; }
}
"""
