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
    "border-radius:999px;padding:.2em .7em;cursor:pointer}",
    ".chip[aria-pressed=true]{background:var(--_accent);border-color:var(--_accent);color:#fff}",
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
    "@media (max-width:600px){.panel{position:fixed;left:4px;right:4px;max-height:75vh}.meta{gap:.35em}}"
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
      this._filters = { type: null, topic: null };
      this._active = -1;
      this._hits = [];
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
      document.addEventListener("click", this._outside);
    }

    disconnectedCallback() { document.removeEventListener("click", this._outside); }

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
      var chips = el("div", { class: "chips", role: "group", "aria-label": "Filter results" });
      var notice = el("div", { class: "notice", hidden: "" });
      var list = el("ul", { id: this._ids.list, role: "listbox", "aria-label": "Search results" });
      panel.append(notice, chips, list);
      root.append(box, panel);
      this._input = input; this._status = status; this._panel = panel; this._chips = chips;
      this._notice = notice; this._list = list;

      var self = this;
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
      if (this._filters.type) params.append("type", this._filters.type);
      if (this._filters.topic) params.append("topic", this._filters.topic);
      this._setBusy(true);
      var self = this;
      fetch(this.api + "/search?" + params.toString(), { signal: ctrl.signal, headers: { Accept: "application/json" } })
        .then(function (r) {
          return r.json().catch(function () { return {}; }).then(function (body) {
            if (!r.ok) throw new Error((body.error && body.error.message) || ("HTTP " + r.status));
            return body;
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

    _fileUrl(hit) {
      var path = String(hit.doc_id).split("/").map(encodeURIComponent).join("/");
      var url = this.api + "/documents/" + path + "/file";
      return hit.page ? url + "#page=" + hit.page : url;
    }

    _show(data) {
      var hits = data.hits || [];
      this._hits = hits;
      this._active = -1;
      this._list.replaceChildren();
      this._notice.hidden = true;
      this._notice.className = "notice";
      var self = this;
      if (!hits.length) {
        this._notice.textContent = "No documents match. Try other words or remove a filter.";
        this._notice.hidden = false;
      } else if (data.confident === false) {
        this._notice.textContent = "No confident match: these are the closest documents, but none answers the question closely.";
        this._notice.hidden = false;
      }
      hits.forEach(function (hit, i) {
        var li = el("li", { id: self._ids.list + "-" + i, role: "option", "aria-selected": "false" });
        var title = el("a", { class: "title", href: self._fileUrl(hit), target: "_blank", rel: "noopener", tabindex: "-1" }, hit.title);
        var meta = el("div", { class: "meta" });
        meta.append(el("span", { class: "badge" }, TYPE_LABELS[hit.type] || hit.type));
        if (hit.date) meta.append(el("span", null, hit.date));
        var topics = (hit.metadata && hit.metadata.topics) || [];
        if (topics.length) meta.append(el("span", null, topics.slice(0, 3).join(" · ")));
        li.append(title, meta, snippetNode(hit.snippet || "", hit.highlights));
        var where = [];
        if (hit.page) where.push("page " + (hit.page_label && hit.page_label !== String(hit.page) ? hit.page_label + " (PDF page " + hit.page + ")" : hit.page));
        if (hit.heading_path && hit.heading_path.length) where.push(hit.heading_path.join(" › "));
        if (where.length) {
          var cite = el("div", { class: "cite" });
          cite.append(el("a", { href: self._fileUrl(hit), target: "_blank", rel: "noopener", tabindex: "-1" }, where.join(" · ")));
          li.append(cite);
        }
        li.addEventListener("mousedown", function (e) { e.preventDefault(); });
        li.addEventListener("click", function (e) { if (e.target.tagName !== "A") self._openHit(i); });
        self._list.append(li);
      });
      this._renderChips(data.facets || {});
      this._status.textContent = hits.length + (hits.length === 1 ? " result" : " results");
      this._open();
    }

    _renderChips(facets) {
      var self = this;
      this._chips.replaceChildren();
      [["type", facets.type || {}], ["topic", facets.topic || {}]].forEach(function (pair) {
        var field = pair[0], counts = pair[1];
        var values = Object.keys(counts).slice(0, field === "topic" ? 6 : 5);
        if (self._filters[field] && values.indexOf(self._filters[field]) < 0) values.unshift(self._filters[field]);
        values.forEach(function (value) {
          var on = self._filters[field] === value;
          var text = (field === "type" ? (TYPE_LABELS[value] || value) : value) + (counts[value] ? " (" + counts[value] + ")" : "");
          var chip = el("button", { type: "button", class: "chip", "aria-pressed": on ? "true" : "false", "data-field": field, "data-value": value }, text);
          chip.addEventListener("mousedown", function (e) { e.preventDefault(); });
          chip.addEventListener("click", function () {
            self._filters[field] = on ? null : value;
            self._search();
            self._input.focus();
          });
          self._chips.append(chip);
        });
      });
    }

    _fail(err) {
      this._hits = [];
      this._list.replaceChildren();
      this._chips.replaceChildren();
      this._notice.className = "notice error";
      this._notice.textContent = "Search is unavailable right now (" + (err && err.message ? err.message : "network error") + ").";
      this._notice.hidden = false;
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

    _open() { this._panel.hidden = false; this._input.setAttribute("aria-expanded", "true"); }

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
