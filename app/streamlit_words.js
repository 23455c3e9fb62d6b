// Streamlit's own English words in the chosen language (see app/streamlit_words.py).
// window.__acuWords holds this page's tables: {lang, exact, slots, months, weekdays,
// initials, date, day, month_year, month_value}. Everything changed is remembered, so a page
// switched back to English gets Streamlit's words back exactly.
(() => {
  const ATTRIBUTES = ["aria-label", "title", "placeholder", "aria-valuetext",
    "aria-description", "aria-roledescription", "alt"];
  const S = window.__acuState || (window.__acuState = {
    texts: new Map(),   // text node -> {orig, now}
    attrs: new Map(),   // element -> {attribute: {orig, now}}
    mode: null,
    timer: null,
  });
  const has = (o, k) => o && Object.prototype.hasOwnProperty.call(o, k);
  const fill = (template, values) =>
    template.replace(/\{(\w+)\}/g, (all, k) => (has(values, k) ? values[k] : all));
  const esc = s => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

  function dates(c) {
    if (!c.months) return null;
    const M = "(" + Object.keys(c.months).map(esc).join("|") + ")";
    const W = "(" + Object.keys(c.weekdays).map(esc).join("|") + ")";
    return {
      us: new RegExp(`^${W}, ${M} (\\d{1,2}), (\\d{4})$`),
      gb: new RegExp(`^${W},? (\\d{1,2}) ${M},? (\\d{4})$`),
      usDay: new RegExp(`^${M} (\\d{1,2}), (\\d{4})$`),
      gbDay: new RegExp(`^(\\d{1,2}) ${M},? (\\d{4})$`),
      monthYear: new RegExp(`^${M} (\\d{4})$`),
      monthValue: new RegExp(`^(\\d{1,2}) – ${M}$`),
      weekday: new RegExp(`^${W}\\b`),
    };
  }

  // The patterns, compiled once per page's tables (apply() runs every ~30 ms while
  // Streamlit draws; a new language brings new tables, and so new patterns).
  let compiled = null;
  function patterns(c) {
    if (compiled === null || compiled.config !== c) {
      compiled = {
        config: c,
        dates: dates(c),
        slots: (c.slots || []).map(([pattern, template]) => [new RegExp(pattern), template]),
      };
    }
    return compiled;
  }

  function translate(c, k, s, depth) {
    if (!s || depth > 3) return null;
    if (has(c.exact, s)) return c.exact[s];
    const re = k.dates;
    if (re) {
      let m = re.us.exec(s);
      if (m) return fill(c.date, {w: c.weekdays[m[1]], m: c.months[m[2]], d: m[3], y: m[4]});
      m = re.gb.exec(s);
      if (m) return fill(c.date, {w: c.weekdays[m[1]], d: m[2], m: c.months[m[3]], y: m[4]});
      m = re.usDay.exec(s);
      if (m) return fill(c.day, {m: c.months[m[1]], d: m[2], y: m[3]});
      m = re.gbDay.exec(s);
      if (m) return fill(c.day, {d: m[1], m: c.months[m[2]], y: m[3]});
      m = re.monthYear.exec(s);
      if (m) return fill(c.month_year, {m: c.months[m[1]], y: m[2]});
      m = re.monthValue.exec(s);
      if (m) return fill(c.month_value, {n: m[1], m: c.months[m[2]]});
    }
    for (const [pattern, template] of k.slots) {
      const m = pattern.exec(s);
      if (!m) continue;
      const parts = {};
      for (let i = 1; i < m.length; i++) {
        const part = m[i] === undefined ? "" : m[i];
        parts[i] = translate(c, k, part, depth + 1) ?? part;
      }
      return fill(template, parts);
    }
    return null;
  }

  function setText(node, value) {
    const rec = S.texts.get(node);
    if (rec && node.nodeValue === rec.now) { rec.now = value; }
    else S.texts.set(node, {orig: node.nodeValue, now: value});
    node.nodeValue = value;
  }

  function setAttr(el, name, value) {
    let recs = S.attrs.get(el);
    if (!recs) S.attrs.set(el, (recs = {}));
    const rec = recs[name];
    if (!(rec && el.getAttribute(name) === rec.now)) recs[name] = {orig: el.getAttribute(name)};
    recs[name].now = value;
    el.setAttribute(name, value);
  }

  function original(el, name) {
    const rec = S.attrs.get(el)?.[name];
    const value = el.getAttribute(name);
    return rec && value === rec.now ? rec.orig : value;
  }

  function restore() {
    for (const [node, rec] of S.texts) if (node.nodeValue === rec.now) node.nodeValue = rec.orig;
    for (const [el, recs] of S.attrs) {
      for (const [name, rec] of Object.entries(recs)) {
        if (el.getAttribute(name) === rec.now) el.setAttribute(name, rec.orig);
      }
    }
    S.texts.clear();
    S.attrs.clear();
  }

  function skipped(node) {
    const parent = node.parentElement;
    return !parent || parent.closest("script, style, [translate=no]");
  }

  function apply() {
    const c = window.__acuWords;
    if (!c) return;
    if (document.documentElement.lang !== c.lang) document.documentElement.lang = c.lang;
    if (S.mode !== c.lang) { restore(); S.mode = c.lang; }
    const k = patterns(c);
    const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
    const parents = new Set();
    for (let n = walker.nextNode(); n; n = walker.nextNode()) {
      const raw = n.nodeValue;
      const key = raw.trim();
      if (!key || skipped(n)) continue;
      const words = translate(c, k, key, 0);
      if (words !== null && words !== key) setText(n, raw.replace(key, words));
      else if (n.parentElement.childNodes.length > 1) parents.add(n.parentElement);
    }
    // Words React writes as several text nodes ("10", "MB per file • ", "YAML, YML").
    for (const el of parents) {
      const nodes = [...el.childNodes];
      if (!nodes.every(x => x.nodeType === Node.TEXT_NODE)) continue;
      const key = el.textContent.trim();
      const words = translate(c, k, key, 0);
      if (words === null || words === key) continue;
      nodes.forEach((x, i) => setText(x, i === 0 ? words : ""));
    }
    for (const el of document.querySelectorAll(ATTRIBUTES.map(a => `[${a}]`).join(","))) {
      for (const name of ATTRIBUTES) {
        const value = el.getAttribute(name);
        if (!value) continue;
        const words = translate(c, k, value.trim(), 0);
        if (words !== null && words !== value) setAttr(el, name, words);
      }
    }
    // The calendar's row of weekday initials, in the order the calendar starts its week.
    if (c.initials) {
      for (const grid of document.querySelectorAll("table[role=grid]")) {
        const heads = grid.querySelectorAll("thead th");
        const first = grid.querySelector("tbody [aria-label]");
        if (heads.length !== 7 || !first) continue;
        const m = k.dates.weekday.exec(original(first, "aria-label") || "");
        const start = m ? Object.keys(c.weekdays).indexOf(m[1]) : 0;
        heads.forEach((th, i) => {
          const node = th.firstChild;
          const want = c.initials[(start + i) % 7];
          if (node && node.nodeType === Node.TEXT_NODE && node.nodeValue !== want) {
            setText(node, want);
          }
        });
      }
    }
    for (const node of S.texts.keys()) if (!node.isConnected) S.texts.delete(node);
    for (const el of S.attrs.keys()) if (!el.isConnected) S.attrs.delete(el);
  }

  window.__acuApply = apply;
  if (!window.__acuObserver) {
    window.__acuObserver = new MutationObserver(() => {
      if (S.timer !== null) return;
      S.timer = setTimeout(() => { S.timer = null; window.__acuApply(); }, 30);
    });
    window.__acuObserver.observe(document.body, {
      childList: true, subtree: true, characterData: true, attributes: true,
      attributeFilter: ATTRIBUTES,
    });
  }
  apply();
})();
