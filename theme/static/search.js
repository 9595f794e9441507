// envbook search (issue 10): the search box in the header, and the marks on
// the page a result leads to. Results are built from DOM text nodes only:
// nothing from the index is ever parsed as HTML.
//
// The index, written by `envbook build` in search/ (src/search/), is fetched
// in pieces, so a search downloads a small part of it:
// - meta.json, on first use: {"version":1,"chunks":[[FROM,TO,HASH],…]}, the
//   term chunks in order; a chunk holds every term from FROM to TO (Rust's
//   str order: code points).
// - t/HASH.json, the chunks a query's words fall in: {"term":[f,s,w,…],…},
//   each term's records as triples: fragment (difference from the previous
//   triple's), slot in the fragment, weight of the term in that record.
// - f/N.json, the fragments of the results shown: [{"k":KIND,"u":URL,"t":
//   TITLE,"s":SECTION,"x":TEXT},…]; a page's fragment is the page (slot 0)
//   then its headings; other fragments hold matrix rows. URL is from the
//   site's root. A chunk is named by its content: a 404 means meta.json is
//   older than the site, which is then fetched again, once.
//
// A search gives the same results as `envbook search` (src/search/find.rs);
// a browser test compares the two, and the terms with tokens.rs's.
(function () {
  "use strict";

  // ---- Terms: exactly Rust's envbook::search::tokens::terms() ----------

  const ALNUM = /[\p{Alphabetic}\p{N}]/u;
  const EDGES = /^[^\p{Alphabetic}\p{N}]+|[^\p{Alphabetic}\p{N}]+$/gu;
  const SPACE = /\p{White_Space}+/u;
  const DIACRITIC = /(?=\p{M})[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/gu;
  const PICTO = /\p{Extended_Pictographic}/u;
  const PARTS = /[._:]/;

  // Lower case, no accents, compatibility forms (ﬁ → fi, Ｐ → p).
  function fold(text) {
    let lower = "";
    // One character at a time, as Rust's char::to_lowercase: the string's
    // toLowerCase would make a word-final Σ into ς from its context.
    for (const c of text.normalize("NFKD")) lower += c.toLowerCase();
    return lower.normalize("NFKD").replace(DIACRITIC, "").normalize("NFC").replace(/ς/g, "σ");
  }

  // Word_Break classes of UAX #29, from the properties Unicode defines them
  // with (no table ships); equal to the Rust crate's table for every code
  // point. White space classes are left out: tokens hold none.
  const CLASSES = [
    ["ZWJ", /\u200d/u],
    ["Extend", /[\p{Grapheme_Extend}\p{Mc}\p{Emoji_Modifier}]/u],
    ["RI", /\p{Regional_Indicator}/u],
    ["Format", /(?![\u200b\u200c\u0600-\u0605\u06dd\u070f\u0890\u0891\u08e2\u{110bd}\u{110cd}])\p{Cf}/u],
    ["Katakana", /[\p{sc=Katakana}\u3031-\u3035\u309b\u309c\u30a0\u30fc\uff70]/u],
    ["Hebrew", /(?=\p{sc=Hebrew})\p{Lo}/u],
    ["'", /'/u],
    ['"', /"/u],
    ["MidNumLet", /[.\u2018\u2019\u2024\ufe52\uff07\uff0e]/u],
    ["MidLetter", /[:\u00b7\u0387\u055f\u05f4\u2027\ufe13\ufe55\uff1a]/u],
    ["MidNum", /[,;\u037e\u0589\u060c\u060d\u066c\u07f8\u2044\ufe50\ufe54\uff0c\uff1b]/u],
    ["Numeric", /[\p{Nd}\u066b\u0600-\u0605\u06dd\u0890\u0891\u08e2\u19da\u{110bd}\u{110cd}]/u],
    ["ExtendNumLet", /[\p{Pc}\u202f]/u],
    // Letters, but not ideographs, kana or the scripts written without
    // spaces (Thai, Lao, Myanmar, Khmer, …), whose characters are words alone.
    ["ALetter", /(?![\p{Ideographic}\p{sc=Hiragana}\p{sc=Thai}\p{sc=Lao}\p{sc=Myanmar}\p{sc=Khmer}\p{sc=Tai_Le}\p{sc=New_Tai_Lue}\p{sc=Tai_Tham}\p{sc=Tai_Viet}\p{sc=Ahom}])[\p{Alphabetic}\u00b8\u02c2-\u02c5\u02d2-\u02d7\u02de\u02df\u02e5-\u02eb\u02ed\u02ef-\u02ff\u055a-\u055c\u055e\u058a\u05f3\u070f\ua708-\ua716\ua720\ua721\ua789\ua78a\uab5b]/u],
  ];
  const classes = new Map();
  function classOf(c) {
    let name = classes.get(c);
    if (name === undefined) {
      const found = CLASSES.find((entry) => entry[1].test(c));
      classes.set(c, (name = found ? found[0] : ""));
    }
    return name;
  }
  const MARKS = new Set(["Extend", "Format", "ZWJ"]);

  // The word-boundary state machine of the Rust crate unicode-segmentation
  // (UWordBounds::next), quirks included. States: L letter, H Hebrew letter,
  // N number, K katakana, E connector (_), R and RR regional indicators,
  // Z a ZWJ, P an emoji after a ZWJ, X marks after another character;
  // "?x" waits for a letter (?L, ?H) or digit (?N) after a mid-word mark and
  // otherwise ends the word before the mark; "'" a quote after a Hebrew letter.
  const WORD = { ALetter: "L", Hebrew: "H", Numeric: "N", ExtendNumLet: "E" };
  const NEXT = {
    "": { ...WORD, Katakana: "K", RI: "R", ZWJ: "Z" },
    L: { ...WORD, MidLetter: "?L", MidNumLet: "?L", "'": "?L" },
    H: { ...WORD, MidLetter: "?L", MidNumLet: "?L", "'": "'", '"': "?H" },
    N: { ...WORD, MidNum: "?N", MidNumLet: "?N", "'": "?N" },
    K: { Katakana: "K", ExtendNumLet: "E" },
    E: { ...WORD, Katakana: "K" },
    R: { RI: "RR" },
    "?L": { ALetter: "L", Hebrew: "H" },
    "'": { ALetter: "L", Hebrew: "H" },
    "?H": { Hebrew: "H" },
    "?N": { Numeric: "N" },
  };

  // Where the word that starts at chars[i] ends.
  function wordEnd(chars, cats, i) {
    let state = "";
    let cat = "";
    let save = i;
    for (let j = i; j < chars.length; j++) {
      const afterZwj = cat === "ZWJ";
      cat = cats[j];
      if (j > i && MARKS.has(cat)) continue; // WB4: marks go with what they follow
      if (afterZwj && PICTO.test(chars[j])) {
        state = "P"; // WB3c
        continue;
      }
      const next = (NEXT[state] || {})[cat];
      if (j === i) {
        if (next) state = next;
        else if (MARKS.has(cats[j + 1])) state = "X";
        else return j + 1;
      } else if (next) {
        if (next[0] === "?") save = j;
        state = next;
      } else {
        return state[0] === "?" ? save : j;
      }
    }
    return state[0] === "?" ? save : chars.length;
  }

  // UAX #29 word segments of a token without white space (every piece, words or not).
  function segments(token) {
    const chars = Array.from(token);
    const cats = chars.map(classOf);
    const out = [];
    for (let i = 0, end; i < chars.length; i = end) {
      end = wordEnd(chars, cats, i);
      out.push(chars.slice(i, end).join(""));
    }
    return out;
  }

  // A folded token's words, each split further on . _ : (`plane.storage`).
  function tokenWords(token, out) {
    for (const word of segments(token)) {
      if (ALNUM.test(word)) for (const part of word.split(PARTS)) if (part) out.push(part);
    }
  }

  // A folded token's words, then the token whole when it is more than its word.
  function tokenTerms(token, out) {
    const start = out.length;
    tokenWords(token, out);
    const whole = token.replace(EDGES, "");
    if (whole && !(out.length === start + 1 && out[start] === whole)) out.push(whole);
  }

  function each(text, add) {
    const out = [];
    for (const token of text.split(SPACE)) if (token) add(fold(token), out);
    return out;
  }
  // What the index holds (tokens.rs's terms) and what a phrase is matched on (words).
  const terms = (text) => each(text, tokenTerms);
  const words = (text) => each(text, tokenWords);
  const unique = (list) => [...new Set(list)];

  // A query as typed (tokens.rs's query): words, all required, the last one
  // a prefix while it is being typed; "phrases"; and while a key is being
  // typed (`data-plane.stor`), `whole`: the words with that key whole
  // instead of its parts, which is searched first.
  function parse(typed) {
    const parts = typed.split('"');
    const all = [];
    const phrases = [];
    parts.forEach((part, i) => {
      if (i % 2 === 0) all.push(...terms(part));
      else if (words(part).length) phrases.push(words(part));
    });
    const typing = parts.length % 2 === 1 && !/[\p{White_Space}"]$/u.test(typed);
    const tokens = typed.split(SPACE).filter(Boolean);
    const own = typing && tokens.length ? terms(tokens[tokens.length - 1]) : [];
    let whole = null;
    if (own.length > 1 && own.every((t, i) => all[all.length - own.length + i] === t)) {
      const before = all.slice(0, all.length - own.length);
      whole = unique(before.concat(all.pop()));
    }
    const list = unique(all);
    const last = list[list.length - 1];
    const end = Array.from(typed).pop();
    return {
      words: list,
      phrases: phrases,
      whole: whole,
      // Only a word of two characters or more widens to the terms it starts.
      prefix: typing && last !== undefined && Array.from(last).length >= 2 && ALNUM.test(end),
    };
  }

  // Whether a folded term is one the query looks for (to mark it).
  function wanted(q, term) {
    const exact = q.words.concat(q.whole || [], ...q.phrases);
    const prefixes = [q.prefix && q.words[q.words.length - 1], q.whole && q.whole[q.whole.length - 1]];
    return exact.includes(term) || prefixes.some((p) => p && term.startsWith(p));
  }

  // [start, end) ranges of `text` that show the query's words, for <mark>.
  function ranges(text, q) {
    const out = [];
    for (const token of text.matchAll(/[^\p{White_Space}]+/gu)) {
      let at = token.index;
      for (const word of segments(token[0])) {
        // Key parts (plane.storage) are marked one by one.
        for (const part of ALNUM.test(word) ? word.split(/(?=[._:])|(?<=[._:])/) : [word]) {
          if (ALNUM.test(part) && wanted(q, fold(part))) out.push([at, at + part.length]);
          at += part.length;
        }
      }
    }
    return out;
  }

  // `text` as nodes, the ranges in <mark>.
  function marked(text, marks) {
    const nodes = [];
    let at = 0;
    for (const [start, end] of marks) {
      if (start > at) nodes.push(document.createTextNode(text.slice(at, start)));
      const mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      nodes.push(mark);
      at = end;
    }
    if (at < text.length) nodes.push(document.createTextNode(text.slice(at)));
    return nodes;
  }

  // ---- The index --------------------------------------------------------

  // Rust's str order (code points); JS's < compares UTF-16 units instead.
  function compare(a, b) {
    for (let i = 0; i < a.length && i < b.length; ) {
      const x = a.codePointAt(i);
      const y = b.codePointAt(i);
      if (x !== y) return x - y;
      i += x > 0xffff ? 2 : 1;
    }
    return a.length - b.length;
  }

  const SLOTS = 1 << 20; // a record's key: fragment * SLOTS + slot
  const RESULTS = 10;
  let root; // the site's root URL, from the box's data-base
  const files = new Map(); // path under search/ → its JSON (a promise)
  const used = new Set(); // the files the last search read, for the tests

  // Each file is fetched once; one that failed is tried again next time.
  // meta.json and fragments keep their names across builds: the browser
  // revalidates them; a chunk's name is its content.
  function file(path) {
    used.add(path);
    if (!files.has(path)) {
      const load = fetch(new URL("search/" + path, root), path[0] === "t" ? {} : { cache: "no-cache" })
        .then((r) => (r.ok ? r.json() : Promise.reject(Object.assign(new Error(path + ": " + r.status), { status: r.status }))));
      files.set(path, load.catch((e) => { files.delete(path); throw e; }));
    }
    return files.get(path);
  }
  const chunk = (hash) => file("t/" + hash + ".json");
  const fragment = (n) => file("f/" + n + ".json");

  // Record key → the best weight of `word` in it (a prefix match counts half).
  async function postings(index, word, prefix) {
    const meets = prefix
      ? (c) => compare(c[1], word) >= 0 && (compare(c[0], word) <= 0 || c[0].startsWith(word))
      : (c) => compare(c[0], word) <= 0 && compare(word, c[1]) <= 0;
    const near = index.chunks.filter(meets).slice(0, prefix ? 4 : 1);
    const best = new Map();
    for (const lists of await Promise.all(near.map((c) => chunk(c[2])))) {
      for (const term of prefix ? Object.keys(lists) : [word]) {
        if (!Object.hasOwn(lists, term) || !term.startsWith(word)) continue;
        const factor = term === word ? 1 : 0.5;
        const flat = lists[term];
        for (let i = 0, f = 0; i + 2 < flat.length; i += 3) {
          f += flat[i];
          const key = f * SLOTS + flat[i + 1];
          best.set(key, Math.max(best.get(key) || 0, flat[i + 2] * factor));
        }
      }
    }
    return best;
  }

  // The results of a query (find.rs does the same, for `envbook search`).
  async function find(q) {
    if (!q.words.length && !q.phrases.length) return [];
    const index = await file("meta.json");
    const required = (words) => unique(words.concat(...q.phrases));
    if (q.whole) {
      const hits = await rank(index, required(q.whole), q.whole.length, q.phrases);
      if (hits.length) return hits;
    }
    return rank(index, required(q.words), q.prefix ? q.words.length : 0, q.phrases);
  }

  // The records holding every required word (the `prefixed`-th, from 1, as
  // a prefix), by score, then place; with phrases, those whose text has them.
  async function rank(index, required, prefixed, phrases) {
    const lists = await Promise.all(required.map((w, i) => postings(index, w, i + 1 === prefixed)));
    let scores = lists[0];
    for (const list of lists.slice(1)) {
      scores = new Map([...scores].filter(([key]) => list.has(key)).map(([key, s]) => [key, s + list.get(key)]));
    }
    const ranked = [...scores].sort((a, b) => b[1] - a[1] || a[0] - b[0]);
    // With phrases, at most 40 candidates are checked.
    const limit = phrases.length ? Math.min(ranked.length, 40) : ranked.length;
    const hits = [];
    for (let i = 0; i < limit && hits.length < RESULTS; ) {
      // The fragments of as many candidates as results are still missing, together.
      const batch = ranked.slice(i, Math.min(limit, i + RESULTS - hits.length));
      const fetched = await Promise.all(batch.map(([key]) => fragment(Math.floor(key / SLOTS))));
      for (let j = 0; j < batch.length && hits.length < RESULTS; j++, i++) {
        const hit = result(fetched[j], batch[j][0] % SLOTS);
        if (hit && phrases.every((p) => hasPhrase(words(hit.whole), p))) hits.push(hit);
      }
    }
    return hits;
  }

  // A record as a result shows it, with the text its phrases are looked for
  // in: a page's title and text with its headings', a heading's or row's own.
  function result(records, slot) {
    const r = records[slot];
    if (!r) return null;
    const titled = (x) => x.t + " " + x.x;
    const page = r.k === "page";
    return {
      kind: r.k,
      url: r.u,
      title: r.t,
      section: r.s,
      text: page ? records.map((x) => x.x).join(" ") : r.x,
      whole: page ? [r].concat(records.slice(1)).map(titled).join(" ") : titled(r),
    };
  }

  function hasPhrase(words, phrase) {
    for (let i = 0; i + phrase.length <= words.length; i++) {
      if (phrase.every((w, j) => words[i + j] === w)) return true;
    }
    return false;
  }

  // A meta.json older than the chunks (the site was rebuilt since): once more with a new one.
  async function search(q) {
    try {
      return await find(q);
    } catch (e) {
      if (e.status !== 404) throw e;
      files.clear();
      return find(q);
    }
  }

  // ---- The box ----------------------------------------------------------

  // Where a result leads: its page, told what to mark (before the #).
  function target(url, typed) {
    const to = new URL(url, root);
    to.search = "?highlight=" + encodeURIComponent(typed.trim());
    return to.href;
  }

  // Up to 180 characters around the first mark.
  function snippet(text, q) {
    const first = ranges(text, q)[0];
    let start = first ? Math.max(0, first[0] - 60) : 0;
    if (start > 0) start = text.indexOf(" ", start) + 1 || start;
    let end = Math.min(text.length, start + 180);
    if (end < text.length) end = text.lastIndexOf(" ", end) > start ? text.lastIndexOf(" ", end) : end;
    const cut = (start > 0 ? "… " : "") + text.slice(start, end).trim() + (end < text.length ? " …" : "");
    return marked(cut, ranges(cut, q));
  }

  function element(tag, className, children) {
    const e = document.createElement(tag);
    if (className) e.className = className;
    e.append(...(children || []));
    return e;
  }

  function setUp(box) {
    const input = box.querySelector("input");
    const list = box.querySelector("[role=listbox]");
    const status = box.querySelector("[role=status]");
    root = new URL(box.dataset.base || "./", document.baseURI);
    box.hidden = false;
    let selected = -1;
    let latest = 0; // the last query typed …
    let shownFor = 0; // … and the one whose results show
    let enter = false; // Enter was pressed before they came

    const options = () => list.querySelectorAll("[role=option]");
    function open(shown) {
      list.hidden = !shown;
      input.setAttribute("aria-expanded", String(shown));
      if (!shown) select(-1);
    }
    function select(i) {
      options().forEach((o, j) => o.setAttribute("aria-selected", String(i === j)));
      selected = i;
      const option = options()[i];
      if (option) {
        input.setAttribute("aria-activedescendant", option.id);
        option.scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function say(text) {
      status.textContent = text;
    }
    // Opens the selected result, or the first.
    function go() {
      const option = options()[Math.max(selected, 0)];
      if (option) location.href = option.querySelector("a").href;
    }

    function show(results, q, typed) {
      list.replaceChildren(...results.map((r, i) => {
        const link = element("a", null, [
          element("span", "search-section", [r.section]),
          element("span", "search-title", marked(r.title, ranges(r.title, q))),
          element("span", "search-snippet", snippet(r.text, q)),
        ]);
        link.href = target(r.url, typed);
        link.tabIndex = -1;
        const option = element("li", "search-result", [link]);
        option.dataset.kind = r.kind;
        option.id = "envbook-search-" + i;
        option.setAttribute("role", "option");
        option.addEventListener("mousemove", () => selected !== i && select(i));
        return option;
      }));
      say(results.length ? "" : "No results for " + typed.trim());
      open(results.length > 0);
    }

    async function update() {
      const typed = input.value;
      const mine = ++latest;
      const q = parse(typed);
      if (!q.words.length && !q.phrases.length) {
        list.replaceChildren();
        say("");
        open(false);
        shownFor = mine;
        enter = false;
        return;
      }
      try {
        const results = await search(q);
        if (mine !== latest) return;
        show(results, q, typed);
      } catch (e) {
        if (mine !== latest) return;
        list.replaceChildren();
        open(false);
        say("Search is not available (" + e.message + ")");
      }
      shownFor = mine;
      if (enter) go();
      enter = false;
    }

    input.addEventListener("focus", () => {
      file("meta.json").catch(() => {});
      if (options().length) open(true);
    });
    input.addEventListener("input", update);
    input.addEventListener("keydown", (event) => {
      const count = options().length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!count) return;
        open(true);
        const next = selected + (event.key === "ArrowDown" ? 1 : -1);
        select(next >= count ? 0 : next < 0 ? count - 1 : next);
      } else if (event.key === "Enter") {
        event.preventDefault();
        // Before the results of what was typed are in, Enter waits for them.
        if (shownFor !== latest) enter = true;
        else go();
      } else if (event.key === "Escape") {
        if (!list.hidden || status.textContent) {
          open(false);
          say("");
        } else {
          input.value = "";
          input.blur();
        }
      }
    });
    // A click on a result must not blur the box first (that closes the list).
    list.addEventListener("mousedown", (event) => event.preventDefault());
    document.addEventListener("click", (event) => {
      if (!box.contains(event.target)) {
        open(false);
        say("");
      }
    });
    // `/` or `s` anywhere but in a field focuses the box.
    document.addEventListener("keydown", (event) => {
      if ((event.key !== "/" && event.key !== "s") || event.ctrlKey || event.metaKey || event.altKey) return;
      const at = event.target;
      if (at.isContentEditable || (at.closest && at.closest("input, textarea, select"))) return;
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  // ---- The page a result leads to ---------------------------------------

  function markPage(typed) {
    const q = parse(typed);
    const main = document.querySelector("main");
    if (!main || (!q.words.length && !q.phrases.length)) return;
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.closest("script, style, mark, .search") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const found = [];
    for (let node; (node = walker.nextNode()); ) {
      const marks = ranges(node.data, q);
      if (marks.length) found.push([node, marks]);
    }
    for (const [node, marks] of found) node.replaceWith(...marked(node.data, marks));
  }

  // The heading or matrix row the #fragment names.
  function markTarget() {
    document.querySelectorAll(".search-hit").forEach((e) => e.classList.remove("search-hit"));
    const id = decodeURIComponent(location.hash.slice(1));
    const hit = id && document.getElementById(id);
    if (hit) hit.classList.add("search-hit");
  }

  const highlight = new URLSearchParams(location.search).get("highlight");
  if (highlight) {
    markPage(highlight);
    markTarget();
    window.addEventListener("hashchange", markTarget);
  }
  const box = document.getElementById("envbook-search");
  if (box) setUp(box);
  // For the tests, which compare these with the Rust side's.
  window.envbookSearch = {
    terms: terms,
    parse: parse,
    find: async (typed) => {
      used.clear();
      const urls = (await search(parse(typed))).map((r) => r.url);
      return { urls: urls, files: [...used].sort() };
    },
  };
})();
