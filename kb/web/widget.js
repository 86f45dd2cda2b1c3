/* kb search box: <script src="https://HOST/widget.js" defer></script> then <kb-search api="https://HOST"></kb-search>
 * A web component with Shadow DOM and no dependencies. Every piece of document text is put in the page as a
 * text node (textContent / createTextNode), never parsed as HTML. Theme with CSS custom properties:
 * --kb-accent, --kb-bg, --kb-text, --kb-muted, --kb-border, --kb-font, --kb-radius, --kb-mark.
 */
(function () {
  "use strict";
  if (customElements.get("kb-search")) return;
  var scriptOrigin = "";
  try { scriptOrigin = new URL(document.currentScript.src).origin; } catch (e) { /* inline or unknown */ }

  var TYPE_LABELS = { press_release: "Press release", tool_report: "Tool report", skills_guide: "Skills guide",
    convention: "Convention", report: "Report", other: "Document" };
  // The chips: [field, its /search parameter, how many values at most, the values a hit has].
  var FACETS = [
    ["topic", "topic", 6, function (h) { return (h.metadata && h.metadata.topics) || []; }],
    ["type", "type", 4, function (h) { return h.type ? [h.type] : []; }],
    ["country", "country", 4, function (h) { return (h.metadata && h.metadata.countries) || []; }],
    ["language", "lang", 3, function (h) { return h.language ? [h.language] : []; }]
  ];
  var topicLabels = {}; // API base -> a promise of {topic id: label}, asked of /topics once

  function labelsOf(api) {
    if (!topicLabels[api]) {
      topicLabels[api] = fetch(api + "/topics", { headers: { Accept: "application/json" } })
        .then(function (r) { return r.ok ? r.json() : {}; })
        .then(function (body) { var map = {}; (body.topics || []).forEach(function (t) { map[t.id] = t.label; }); return map; })
        .catch(function () { return {}; });
    }
    return topicLabels[api];
  }

  function displayName(kind, code) {
    try { return new Intl.DisplayNames([document.documentElement.lang || "en"], { type: kind }).of(code) || code; }
    catch (e) { return code; }
  }

  function facetLabel(field, value, topics) {
    if (field === "topic") return topics[value] || value;
    if (field === "type") return TYPE_LABELS[value] || value.replace(/_/g, " ");
    if (field === "country") return /^[A-Za-z]{2}$/.test(value) ? displayName("region", value.toUpperCase()) : value;
    return displayName("language", value);
  }

  var CSS = [
    ":host{display:block;position:relative;font-family:var(--kb-font,system-ui,-apple-system,'Segoe UI',Roboto,sans-serif);",
    "color:var(--kb-text,#1d2433);--_accent:var(--kb-accent,#1e2dbe);--_radius:var(--kb-radius,8px);max-width:100%}",
    "*{box-sizing:border-box}",
    ".box{display:flex;align-items:center;border:2px solid var(--kb-border,#c5cbe0);border-radius:var(--_radius);",
    "background:var(--kb-bg,#fff);padding:0 .6em}",
    ".box:focus-within{border-color:var(--_accent)}",
    "input{flex:1;min-width:0;border:0;outline:0;font:inherit;font-size:1.05em;padding:.7em .2em;background:transparent;color:inherit}",
    ".status{font-size:.85em;color:var(--kb-muted,#5b6478);white-space:nowrap}",
    ".panel{position:absolute;left:0;right:0;z-index:1000;margin-top:4px;background:var(--kb-bg,#fff);",
    "border:1px solid var(--kb-border,#c5cbe0);border-radius:var(--_radius);box-shadow:0 8px 24px rgba(20,30,60,.18);",
    "max-height:min(70vh,640px);overflow:auto;padding:.4em}",
    ".panel[hidden]{display:none}",
    ".chips{display:flex;flex-wrap:wrap;gap:.35em;padding:.3em .3em .5em}",
    ".chip{font:inherit;font-size:.8em;border:1px solid var(--kb-border,#c5cbe0);background:transparent;color:inherit;",
    "border-radius:999px;padding:.2em .7em;cursor:pointer;max-width:15em;display:inline-flex;white-space:pre}",
    ".chip .l{overflow:hidden;text-overflow:ellipsis}.chip .n{flex:none}",
    ".chip[aria-pressed=true]{background:var(--_accent);border-color:var(--_accent);color:#fff}",
    ".chips [hidden]{display:none}.more,.astyped{font:inherit;font-size:.8em;border:0;background:transparent;color:var(--_accent);",
    "text-decoration:underline;cursor:pointer;padding:.2em .4em}",
    ".notice{padding:.5em .6em;border-radius:calc(var(--_radius) - 2px);background:#fff6db;color:#5c4400;font-size:.9em;margin:.2em .2em .5em}",
    ".error{background:#fde8e8;color:#8a1c1c}",
    "ul{list-style:none;margin:0;padding:0}",
    "li{padding:.6em .7em;border-radius:calc(var(--_radius) - 2px);cursor:pointer}",
    "li[aria-selected=true],li:hover{background:var(--kb-hover,#eef0fb)}",
    ".title{font-weight:600;color:var(--_accent);text-decoration:none}",
    ".title:hover{text-decoration:underline}",
    ".meta{display:flex;flex-wrap:wrap;gap:.5em;align-items:center;font-size:.8em;color:var(--kb-muted,#5b6478);margin-top:.15em}",
    ".badge{border-radius:4px;padding:.05em .45em;background:#e7eaf6;color:#2b3565;font-weight:600}",
    ".snippet{font-size:.9em;line-height:1.4;margin-top:.3em}",
    "mark{background:var(--kb-mark,#ffe58a);color:inherit;padding:0 .1em;border-radius:2px}",
    ".cite{font-size:.8em;margin-top:.25em}",
    ".cite a{color:var(--kb-muted,#5b6478)}",
    ".sr{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}",
    "@media (max-width:600px){li{padding:.45em .5em}.chip{max-width:11em}",
    ".meta{gap:.35em;flex-wrap:nowrap;white-space:nowrap;overflow:hidden}.topics{overflow:hidden;text-overflow:ellipsis}.plain{display:none}",
    ".title,.snippet{display:-webkit-box;-webkit-box-orient:vertical;overflow:hidden}.title{-webkit-line-clamp:2}.snippet{-webkit-line-clamp:3}}"
  ].join("");

  function el(tag, attrs, text) {
    var node = document.createElement(tag);
    if (attrs) for (var k in attrs) if (attrs[k] !== undefined && attrs[k] !== null) node.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) node.textContent = String(text);
    return node;
  }

  /* The snippet as text nodes, with <mark> around the [start, end) highlight offsets the API returns. */
  function snippetNode(text, highlights) {
    var node = el("div", { class: "snippet" });
    var spans = (highlights || []).slice().sort(function (a, b) { return a[0] - b[0]; });
    var at = 0;
    spans.forEach(function (s) {
      var start = Math.max(at, s[0] | 0), end = Math.min(text.length, s[1] | 0);
      if (end <= start) return;
      node.appendChild(document.createTextNode(text.slice(at, start)));
      node.appendChild(el("mark", null, text.slice(start, end)));
      at = end;
    });
    node.appendChild(document.createTextNode(text.slice(at)));
    return node;
  }

  var counter = 0;

  class KbSearch extends HTMLElement {
    static get observedAttributes() { return ["api", "topic", "placeholder"]; }

    constructor() {
      super();
      var id = "kb" + (++counter);
      this._ids = { list: id + "-list", status: id + "-status" };
      this._root = this.attachShadow({ mode: "open" });
      this._filters = { topic: null, type: null, country: null, language: null };
      this._topics = {};
      this._moreOpen = false;
      this._active = -1;
      this._hits = [];
      this._asTyped = null;  // a question to search as typed, not corrected
      this._timer = 0;
      this._request = null;
      this._render();
    }

    get api() {
      var base = this.getAttribute("api") || scriptOrigin || window.location.origin;
      return base.replace(/\/+$/, "");
    }

    attributeChangedCallback(name) {
      if (name === "placeholder" && this._input) this._input.placeholder = this.getAttribute("placeholder") || "Search the knowledge base";
      if (name === "topic") this._filters.topic = this.getAttribute("topic") || null;
    }

    connectedCallback() {
      this._filters.topic = this.getAttribute("topic") || null;
      var self = this;
      this._outside = function (e) { if (!e.composedPath().includes(self)) self._close(); };
      this._resized = function () { if (!self._panel.hidden) self._fitChips(); };
      document.addEventListener("click", this._outside);
      window.addEventListener("resize", this._resized);
    }

    disconnectedCallback() {
      document.removeEventListener("click", this._outside);
      window.removeEventListener("resize", this._resized);
    }

    _render() {
      var root = this._root;
      root.appendChild(el("style", null, CSS));
      var box = el("div", { class: "box" });
      var label = el("label", { class: "sr", for: "q" }, "Search the knowledge base");
      var input = el("input", {
        id: "q", type: "search", role: "combobox", autocomplete: "off", spellcheck: "false",
        "aria-autocomplete": "list", "aria-expanded": "false", "aria-controls": this._ids.list,
        "aria-describedby": this._ids.status,
        placeholder: this.getAttribute("placeholder") || "Search the knowledge base"
      });
      var status = el("span", { class: "status", id: this._ids.status, role: "status", "aria-live": "polite" });
      box.append(label, input, status);
      var panel = el("div", { class: "panel", hidden: "" });
      var chips = el("div", { class: "chips", id: this._ids.list + "-chips", role: "group", "aria-label": "Filter results" });
      var more = el("button", { type: "button", class: "more", "aria-expanded": "false", "aria-controls": chips.id, hidden: "" });
      var notices = el("div", { class: "notices", role: "note" });
      var list = el("ul", { id: this._ids.list, role: "listbox", "aria-label": "Search results" });
      panel.append(notices, chips, list);
      root.append(box, panel);
      this._input = input; this._status = status; this._panel = panel; this._chips = chips;
      this._more = more; this._notices = notices; this._list = list;

      var self = this;
      more.addEventListener("mousedown", function (e) { e.preventDefault(); });
      more.addEventListener("click", function () { self._moreOpen = !self._moreOpen; self._fitChips(); });
      input.addEventListener("input", function () { self._schedule(); });
      input.addEventListener("keydown", function (e) { self._key(e); });
      input.addEventListener("focus", function () {
        if (self._hits.length) self._open();
        else if (self.getAttribute("topic") && !input.value.trim()) self._search();
      });
    }

    _schedule() {
      clearTimeout(this._timer);
      var self = this;
      this._timer = setTimeout(function () { self._search(); }, 250);
    }

    _search() {
      var q = this._input.value.trim();
      // With a topic="…" attribute and no question yet, the box lists that topic's documents (browse mode).
      var browsing = q.length < 2 && !!this.getAttribute("topic");
      if (q.length < 2 && !browsing) { this._clear(); return; }
      if (this._request) this._request.abort();
      var ctrl = new AbortController();
      this._request = ctrl;
      var params = new URLSearchParams({ k: this.getAttribute("k") || "8" });
      if (!browsing) params.set("q", q);
      if (!browsing && this._asTyped === q) params.set("as_typed", "true");
      var self = this;
      FACETS.forEach(function (f) { if (self._filters[f[0]]) params.append(f[1], self._filters[f[0]]); });
      this._setBusy(true);
      var labels = labelsOf(this.api);
      fetch(this.api + "/search?" + params.toString(), { signal: ctrl.signal, headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            if (!r.ok) throw new Error((body.error && body.error.message) || ("HTTP " + r.status));
            return labels.then(function (topics) { self._topics = topics; return body; });
          });
        })
        .then(function (data) { if (self._request === ctrl) self._show(data); })
        .catch(function (err) { if (err.name !== "AbortError") self._fail(err); })
        .finally(function () { if (self._request === ctrl) { self._setBusy(false); self._request = null; } });
    }

    _setBusy(on) {
      this.setAttribute("aria-busy", on ? "true" : "false");
      if (on) this._status.textContent = "Searching…";
    }

    /* Where a hit opens: the API's cite_url (the PDF page, or the page scrolled to the passage). */
    _fileUrl(hit) { return this.api + hit.cite_url; }

    /* The API's own sentences, verbatim: why the result is not a confident match, then each notice. */
    _say(data, hits) {
      var lines = [];
      if (data.confident === false && data.confidence_reason) lines.push(data.confidence_reason);
      (data.notices || []).forEach(function (n) { if (n) lines.push(n); });
      if (!hits.length && !lines.length) lines.push("No documents match. Try other words or remove a filter.");
      var said = lines.map(function (t) { return el("div", { class: "notice" }, t); });
      // A corrected question can be searched again with its words as typed.
      var typed = Object.keys(data.corrections || {});
      if (typed.length) {
        var q = data.query || this._input.value.trim(), self = this;
        var again = el("button", { type: "button", class: "astyped" },
          "Search for " + typed.map(function (w) { return "“" + w + "”"; }).join(" and ") + " as typed");
        again.addEventListener("mousedown", function (e) { e.preventDefault(); });
        again.addEventListener("click", function () { self._asTyped = q; self._search(); self._input.focus(); });
        said.push(again);
      }
      this._notices.replaceChildren.apply(this._notices, said);
    }

    _show(data) {
      var hits = data.hits || [];
      this._hits = hits;
      this._active = -1;
      this._list.replaceChildren();
      this._say(data, hits);
      var self = this;
      hits.forEach(function (hit, i) {
        var li = el("li", { id: self._ids.list + "-" + i, role: "option", "aria-selected": "false" });
        var title = el("a", { class: "title", href: self._fileUrl(hit), target: "_blank", rel: "noopener", tabindex: "-1" }, hit.title);
        var meta = el("div", { class: "meta" });
        meta.append(el("span", { class: "badge" }, TYPE_LABELS[hit.type] || hit.type));
        if (hit.date) meta.append(el("span", null, hit.date));
        var topics = (hit.metadata && hit.metadata.topics) || [];
        if (topics.length) meta.append(el("span", { class: "topics" }, topics.slice(0, 3).map(function (t) { return self._topics[t] || t; }).join(" · ")));
        li.append(title, meta, snippetNode(hit.snippet || "", hit.highlights));
        var where = [];
        if (hit.page) where.push("page " + (hit.page_label && hit.page_label !== String(hit.page) ? hit.page_label + " (PDF page " + hit.page + ")" : hit.page));
        if (hit.heading_path && hit.heading_path.length) where.push(hit.heading_path.join(" › "));
        var plain = !where.length && hit.cite_url && hit.snippet;  // on a phone the title, which opens there too, is enough; a listing has no passage
        if (plain) where.push("Open at the passage");
        if (where.length) {
          var cite = el("div", { class: plain ? "cite plain" : "cite" });
          cite.append(el("a", { href: self._fileUrl(hit), target: "_blank", rel: "noopener", tabindex: "-1" }, where.join(" · ")));
          li.append(cite);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function (e) { if (e.target.tagName !== "A") self._openHit(i); });
        self._list.append(li);
      });
      this._renderChips(hits);
      this._status.textContent = hits.length + (hits.length === 1 ? " result" : " results");
      this._open();
      this._fitChips();
    }

    /* Chips from the question's own results: each value the hits carry, with how many carry it, commonest first
       (the better-ranked first among equals). A value every hit has would not narrow them. */
    _renderChips(hits) {
      var self = this;
      this._chips.replaceChildren();
      this._moreOpen = false;
      FACETS.forEach(function (f) {
        var field = f[0], counts = {}, order = [];
        hits.forEach(function (hit) {
          f[3](hit).forEach(function (v) { if (!counts[v]) { counts[v] = 0; order.push(v); } counts[v] += 1; });
        });
        var values = order.filter(function (v) { return counts[v] < hits.length; })
          .sort(function (a, b) { return counts[b] - counts[a] || order.indexOf(a) - order.indexOf(b); }).slice(0, f[2]);
        var active = self._filters[field];
        if (active) values = [active].concat(values.filter(function (v) { return v !== active; }));
        values.forEach(function (value) {
          var on = active === value;
          var label = facetLabel(field, value, self._topics), n = counts[value] ? " (" + counts[value] + ")" : "";
          var chip = el("button", { type: "button", class: "chip", "aria-pressed": on ? "true" : "false", "data-field": field,
            "data-value": value, title: label + n });
          chip.append(el("span", { class: "l" }, label), el("span", { class: "n" }, n)); // a long label is cut, its count never
          chip.addEventListener("mousedown", function (e) { e.preventDefault(); });
          chip.addEventListener("click", function () {
            self._filters[field] = on ? null : value;
            self._search();
            self._input.focus();
          });
          self._chips.append(chip);
        });
      });
      this._chips.append(this._more);
    }

    /* At most two rows of chips (pressed ones first), the rest behind "More filters"; all of them once opened. */
    _fitChips() {
      var chips = [].slice.call(this._chips.querySelectorAll(".chip")), more = this._more, open = this._moreOpen, hidden = 0;
      var rows = function () {
        var tops = {};
        chips.concat(more).forEach(function (c) { if (!c.hidden) tops[c.offsetTop] = 1; });
        return Object.keys(tops).length;
      };
      chips.forEach(function (c) { c.hidden = true; });
      more.hidden = false;
      more.textContent = "More filters (" + chips.length + ")";
      chips.forEach(function (c) { // in order, each chip that still fits (a long one may leave room for a short one)
        c.hidden = false;
        if (!open && rows() > 2 && c.getAttribute("aria-pressed") !== "true") { c.hidden = true; hidden += 1; }
      });
      more.textContent = open ? "Fewer filters" : "More filters (" + hidden + ")";
      more.hidden = !open && !hidden;
      more.setAttribute("aria-expanded", String(open));
    }

    _fail(err) {
      this._hits = [];
      this._list.replaceChildren();
      this._chips.replaceChildren();
      this._notices.replaceChildren(el("div", { class: "notice error" },
        "Search is unavailable right now (" + (err && err.message ? err.message : "network error") + ")."));
      this._status.textContent = "Error";
      this._open();
    }

    _clear() {
      if (this._request) { this._request.abort(); this._request = null; }
      this._hits = [];
      this._list.replaceChildren();
      this._status.textContent = "";
      this._close();
    }

    _open() {
      this._panel.hidden = false;
      this._input.setAttribute("aria-expanded", "true");
      // On a phone the results take the screen's width and what is below the box, scrolled up to near the top.
      var p = this._panel.style, box = this.getBoundingClientRect();
      p.left = p.right = p.maxHeight = "";
      if (!window.matchMedia || !window.matchMedia("(max-width:600px)").matches) return;
      p.left = (4 - box.left) + "px";
      p.right = (4 - window.innerWidth + box.right) + "px";
      if (box.top > window.innerHeight / 5) this.scrollIntoView({ block: "start" });
      p.maxHeight = Math.max(200, window.innerHeight - this._panel.getBoundingClientRect().top - 4) + "px";
    }

    _close() {
      this._panel.hidden = true;
      this._input.setAttribute("aria-expanded", "false");
      this._input.removeAttribute("aria-activedescendant");
    }

    _move(delta) {
      var n = this._hits.length;
      if (!n) return;
      this._open();
      this._active = (this._active + delta + n) % n;
      var items = this._list.children;
      for (var i = 0; i < items.length; i++) items[i].setAttribute("aria-selected", i === this._active ? "true" : "false");
      var item = items[this._active];
      this._input.setAttribute("aria-activedescendant", item.id);
      if (item.scrollIntoView) item.scrollIntoView({ block: "nearest" });
    }

    _openHit(i) {
      var hit = this._hits[i];
      if (!hit) return;
      this.dispatchEvent(new CustomEvent("kb-open", { detail: hit, bubbles: true, composed: true }));
      window.open(this._fileUrl(hit), "_blank", "noopener");
    }

    _key(e) {
      if (e.key === "ArrowDown") { e.preventDefault(); this._move(1); }
      else if (e.key === "ArrowUp") { e.preventDefault(); this._move(-1); }
      else if (e.key === "Enter") {
        e.preventDefault();
        if (this._active >= 0) this._openHit(this._active);
        else { clearTimeout(this._timer); this._search(); }
      } else if (e.key === "Escape") {
        if (!this._panel.hidden) { e.preventDefault(); this._close(); }
        else { this._input.value = ""; this._clear(); }
      }
    }
  }

  customElements.define("kb-search", KbSearch);
})();
