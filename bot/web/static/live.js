// The campaign page's only script (served by `python main.py serve` from its own origin; the CSP allows no
// other). Every few seconds it reads /api/status — the JSON of `status --format json` — and updates each post's
// and each sent fragment's state in place. Text is set with textContent only, never as HTML.
"use strict";

(function () {
  const PERIOD_MS = 2000;
  // The state words in the page's language, given by the page (bot/html/forms.py); the JSON keeps English values.
  const source = document.currentScript;
  const WORDS = JSON.parse((source && source.dataset.words) || "{}");
  let baseline = null;

  function say(key) {
    return Object.prototype.hasOwnProperty.call(WORDS, key) ? WORDS[key] : key;
  }

  function stateSpan(word, text) {
    const span = document.createElement("span");
    span.className = "state state-" + word.replace(/[^a-z-]/g, "-");
    span.textContent = text;
    return span;
  }

  function approvals(doc) {
    return JSON.stringify(doc.posts.map(function (p) {
      return [p.id, p.account, p.approval ? [p.approval.approved, p.approval.digest, p.approval.approved_by] : null];
    }));
  }

  function updatePost(row) {
    const selector = 'article.post[data-post="' + CSS.escape(row.id) + '"][data-account="' + CSS.escape(row.account) + '"]';
    const article = document.querySelector(selector);
    if (!article) {
      return;
    }
    const head = article.querySelector(".post-head");
    let line = article.querySelector(".post-state");
    if (!line && head) {
      line = document.createElement("p");
      line.className = "post-state";
      head.appendChild(line);
    }
    if (line) {
      const word = row.state === "publishing" || row.state === "sent" ? say(row.state) + " " + row.sent + "/" + row.total : say(row.state);
      const parts = [stateSpan(row.state, word)];
      if (row.detail) {
        const detail = document.createElement("span");
        detail.className = "detail";
        detail.textContent = row.detail;
        parts.push(detail);
      }
      if (row.action) {
        const action = document.createElement("span");
        action.className = "action";
        action.textContent = row.action;
        parts.push(action);
      }
      line.replaceChildren();
      parts.forEach(function (part, i) {
        if (i > 0) {
          line.appendChild(document.createTextNode(" "));
        }
        line.appendChild(part);
      });
    }
    (row.urls || []).forEach(function (url, i) {
      const fragment = article.querySelector('[data-index="' + (i + 1) + '"] .meta .state');
      if (!fragment || !/^https:\/\//.test(url) || fragment.classList.contains("state-sent")) {
        return;
      }
      fragment.className = "state state-sent";
      fragment.replaceChildren(document.createTextNode(say("fragment-sent") + " · "));
      const link = document.createElement("a");
      link.className = "sent-link";
      link.href = url;
      link.rel = "noopener noreferrer";
      link.textContent = url;
      fragment.appendChild(link);
    });
  }

  async function poll() {
    try {
      const response = await fetch("/api/status", { credentials: "same-origin", cache: "no-store" });
      if (response.status === 401) {
        window.location.assign("/login");
        return;
      }
      if (response.ok) {
        const doc = await response.json();
        doc.posts.forEach(updatePost);
        const now = approvals(doc);
        if (baseline === null) {
          baseline = now;
        } else if (now !== baseline) {
          const notice = document.getElementById("live-notice");
          if (notice) {
            notice.hidden = false;
          }
        }
        document.body.dataset.liveUpdates = String(Number(document.body.dataset.liveUpdates || "0") + 1);
      }
    } catch (error) {
      // the server is restarting or the network is down: try again at the next tick
    }
    window.setTimeout(poll, PERIOD_MS);
  }

  poll();
})();
