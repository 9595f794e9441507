// envbook search (issue 10): the search box in the header, and the marks on
// the page a result leads to. Results are built from DOM text nodes only:
// nothing from the index is ever parsed as HTML.
//
// The index, written by `envbook build` in search/ (src/search/), is fetched
// in pieces, so that a search downloads a small part of it:
// - meta.json, on first use: {"version":…,"chunks":[[FROM,HASH],…],
//   "common":[TERM,…]}, the term chunks in order (a chunk holds the terms
//   from its FROM to the next one's, in Rust's str order: code points), and
//   the terms so common that the index kept only their best records.
// - t/HASH.json, the chunks a query's words fall in: {"term":[f,v,…],…},
//   each term's records as pairs: fragment (difference from the previous
//   pair's), and slot * 128 + weight (the term's weight in that record).
// - f/N.json, the fragments of the results shown: [{"k":KIND,"u":URL,
//   "t":TITLE,"s":SECTION,"x":TEXT,"m":CUT},…]; a page's fragment is the
//   page (slot 0), then its headings; other fragments hold matrix rows.
//   URLs are from the site's root; `m` is true when TEXT was cut short.
// A chunk is named by its content: a 404 means that meta.json is older than
// the site, and it is fetched again, once. A search finds what `envbook
// search` finds (src/search/find.rs), with tokens.rs's terms: browser tests
// compare them.
(function () {
  "use strict";

  // ---- Terms, as src/search/tokens.rs makes them --------------------------

  const ALNUM = /[\p{Alphabetic}\p{N}]/u;
  const EDGES = /^[^\p{Alphabetic}\p{N}]+|[^\p{Alphabetic}\p{N}]+$/gu;
  const SPACE = /\p{White_Space}+/u;
  const DIACRITIC = /(?=\p{M})[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/gu;

  // Lower case, no accents, compatibility forms (ﬁ → fi, Ｐ → p).
  function fold(text) {
    let lower = "";
    // Character by character, as Rust's char::to_lowercase (the string's
    // would make a word-final Σ a ς); and ς is σ anyway.
    for (const c of text.normalize("NFKD")) lower += c.toLowerCase();
    // Typographic apostrophes are typed as ' (tokens.rs says why).
    const plain = lower.normalize("NFKD").replace(DIACRITIC, "").replace(/[\u2018\u2019\u02bc]/g, "'");
    return plain.normalize("NFC").replace(/ς/g, "σ");
  }

  // UAX #29's Word_Break classes, from the Unicode properties that define
  // them (equal to the Rust crate's table at every code point); the white
  // space ones are left out, tokens have none. No dictionary: CJK and Thai
  // split into characters, as in the crate (unlike Intl.Segmenter).
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
    // Letters, but not ideographs, kana, nor the scripts written without spaces.
    ["ALetter", /(?![\p{Ideographic}\p{sc=Hiragana}\p{sc=Thai}\p{sc=Lao}\p{sc=Myanmar}\p{sc=Khmer}\p{sc=Tai_Le}\p{sc=New_Tai_Lue}\p{sc=Tai_Tham}\p{sc=Tai_Viet}\p{sc=Ahom}])[\p{Alphabetic}\u00b8\u02c2-\u02c5\u02d2-\u02d7\u02de\u02df\u02e5-\u02eb\u02ed\u02ef-\u02ff\u055a-\u055c\u055e\u058a\u05f3\u070f\ua708-\ua716\ua720\ua721\ua789\ua78a\uab5b]/u],
  ];
  const classes = new Map();
  function classOf(c) {
    if (!classes.has(c)) classes.set(c, (CLASSES.find((e) => e[1].test(c)) || [""])[0]);
    return classes.get(c);
  }
  const MARK = /^(Extend|Format|ZWJ)$/;

  // The word-boundary state machine of the crate unicode-segmentation
  // (UWordBounds::next), quirks included. States: L letter, H Hebrew letter,
  // N number, K katakana, E connector (_), R/RR regional indicators, Z ZWJ,
  // P emoji after a ZWJ, X marks after anything else; "'" a quote after a
  // Hebrew letter; "?x" a mid-word mark (. : ' ,) waiting for a letter (?L,
  // ?H) or digit (?N), the word ending before the mark if none comes.
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

  // Where the word starting at chars[i] ends.
  function wordEnd(chars, cats, i) {
    let state = "";
    let cat = "";
    let save = i;
    for (let j = i; j < chars.length; j++) {
      const afterZwj = cat === "ZWJ";
      cat = cats[j];
      if (j > i && MARK.test(cat)) continue; // marks go with what they follow
      if (afterZwj && /\p{Extended_Pictographic}/u.test(chars[j])) {
        state = "P";
        continue;
      }
      const next = (NEXT[state] || {})[cat];
      if (j === i) {
        if (next) state = next;
        else if (MARK.test(cats[j + 1])) state = "X";
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

  // The UAX #29 segments of a token without white space, words or not.
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
    for (const w of segments(token)) {
      if (ALNUM.test(w)) out.push(...w.split(/[._:]/).filter(Boolean));
    }
  }

  // Its words, then the token whole when it is more than its one word.
  function tokenTerms(token, out) {
    const start = out.length;
    tokenWords(token, out);
    const whole = token.replace(EDGES, "");
    if (whole && !(out.length === start + 1 && out[start] === whole)) out.push(whole);
  }

  function each(text, add) {
    const out = [];
    for (const token of fold(text).split(SPACE)) if (token) add(token, out);
    return out;
  }
  // What the index holds, and what a phrase is matched on.
  const terms = (text) => each(text, tokenTerms);
  const words = (text) => each(text, tokenWords);
  const unique = (list) => [...new Set(list)];

  // A query as typed: words, all required, the last one a prefix while it
  // is typed; "phrases"; and while a key is typed (`data-plane.stor`),
  // `whole`: the words with that key whole instead of its parts, searched first.
  function parse(typed) {
    const parts = typed.split('"');
    const all = [];
    const phrases = [];
    parts.forEach((part, i) => {
      if (i % 2 === 0) all.push(...terms(part));
      else if (words(part).length) phrases.push(words(part));
    });
    const typing = parts.length % 2 === 1 && !/[\p{White_Space}"]$/u.test(typed);
    const own = typing ? terms(typed.split(SPACE).filter(Boolean).pop() || "") : [];
    let whole = null;
    if (own.length > 1 && own.every((t, i) => all[all.length - own.length + i] === t)) {
      const before = all.slice(0, all.length - own.length);
      whole = unique(before.concat(all.pop()));
    }
    const list = unique(all);
    const last = list[list.length - 1];
    return {
      words: list,
      phrases: phrases,
      whole: whole,
      // Only a word of two characters or more widens to the terms it starts.
      prefix: typing && !!last && Array.from(last).length > 1 && ALNUM.test(Array.from(typed).pop()),
    };
  }

  // ---- Marks --------------------------------------------------------------

  // [start, end) ranges of `text` that show the query's words.
  function ranges(text, q) {
    const exact = q.words.concat(q.whole || [], ...q.phrases);
    const prefixes = [q.prefix && q.words[q.words.length - 1], q.whole && q.whole[q.whole.length - 1]];
    const wanted = (t) => exact.includes(t) || prefixes.some((p) => p && t.startsWith(p));
    const out = [];
    for (const token of text.matchAll(/\P{White_Space}+/gu)) {
      let at = token.index;
      for (const word of segments(token[0])) {
        // The parts of a key (plane.storage) one by one.
        for (const part of word.split(/(?=[._:])|(?<=[._:])/)) {
          if (ALNUM.test(part) && wanted(fold(part))) out.push([at, at + part.length]);
          at += part.length;
        }
      }
    }
    return out;
  }

  // `text` as nodes, its `ranges` in <mark>.
  function marked(text, ranges) {
    const nodes = [];
    let at = 0;
    for (const [start, end] of ranges) {
      const mark = document.createElement("mark");
      mark.textContent = text.slice(start, end);
      nodes.push(text.slice(at, start), mark);
      at = end;
    }
    nodes.push(text.slice(at));
    return nodes.filter((n) => n !== "");
  }

  // ---- The index ----------------------------------------------------------

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

  const SLOTS = 1 << 16; // a record's key: fragment * SLOTS + slot
  const SHOWN = 10;
  const PAUSE = 60; // ms of no typing before a search
  let root; // the site's root, where search/ is
  const files = new Map(); // path in search/ → promise of its JSON
  const read = new Set(); // the files a search reads, for the tests

  // Each file is fetched once, or again after a failure. meta.json and the
  // fragments keep their names across builds: revalidated with the server.
  function file(path) {
    read.add(path);
    if (!files.has(path)) {
      const load = fetch(new URL("search/" + path, root), path[0] === "t" ? {} : { cache: "no-cache" }).then((r) =>
        r.ok ? r.json() : Promise.reject(Object.assign(new Error(path + ": " + r.status), { status: r.status })),
      );
      files.set(path, load.catch((e) => { files.delete(path); throw e; }));
    }
    return files.get(path);
  }

  // Record key → the best weight of `word` in it (a prefix match counts half).
  async function postings(meta, word, prefix) {
    // The chunk `word` falls in and, for a prefix, up to 3 more it starts.
    const chunks = meta.chunks;
    let first = chunks.findIndex((c) => compare(c[0], word) > 0);
    first = Math.max(0, (first < 0 ? chunks.length : first) - 1);
    let last = first + 1;
    while (prefix && last < chunks.length && last < first + 4 && chunks[last][0].startsWith(word)) last++;
    const best = new Map();
    for (const chunk of await Promise.all(chunks.slice(first, last).map((c) => file("t/" + c[1] + ".json")))) {
      for (const term of prefix ? Object.keys(chunk) : [word]) {
        if (!Object.hasOwn(chunk, term) || !term.startsWith(word)) continue;
        const list = chunk[term];
        for (let i = 0, f = 0; i + 1 < list.length; i += 2) {
          f += list[i];
          const key = f * SLOTS + Math.floor(list[i + 1] / 128);
          best.set(key, Math.max(best.get(key) || 0, (list[i + 1] % 128) * (term === word ? 1 : 0.5)));
        }
      }
    }
    return best;
  }

  // The results of a query, as find.rs finds them.
  async function find(q) {
    if (!q.words.length && !q.phrases.length) return [];
    const meta = await file("meta.json");
    const required = (words) => unique(words.concat(...q.phrases));
    const prefixed = q.prefix ? q.words.length : 0;
    // A key typed is looked for whole first; its parts add to what it finds.
    const hits = q.whole ? await rank(meta, required(q.whole), q.whole.length, q.phrases, q.words, prefixed) : [];
    return hits.length ? hits : rank(meta, required(q.words), prefixed, q.phrases, [], 0);
  }

  // The records holding every required word (the `prefixed`-th, from 1, as
  // a prefix) by score, then place; `boosts` only add to the score (the
  // `boostPrefixed`-th as a prefix); with phrases, the first 40 checked.
  async function rank(meta, required, prefixed, phrases, boosts, boostPrefixed) {
    const lists = await Promise.all(required.map((w, i) => postings(meta, w, i + 1 === prefixed)));
    const extra = boosts.map((w, i) => [w, i + 1 === boostPrefixed]).filter(([w]) => !required.includes(w));
    const added = await Promise.all(extra.map(([w, prefix]) => postings(meta, w, prefix)));
    // A common word (whose records the index cut) only adds to the score of
    // what the other words find; alone, or with others as common, it counts.
    const common = new Set(meta.common || []);
    const optional = (w) => common.has(w) && !required.every((x) => common.has(x));
    let scores = null;
    lists.forEach((list, i) => {
      if (optional(required[i])) return;
      scores = scores === null ? [...list]
        : scores.filter(([key]) => list.has(key)).map(([key, s]) => [key, s + list.get(key)]);
    });
    scores = scores || [];
    const optionals = lists.filter((list, i) => optional(required[i]));
    for (const list of optionals.concat(added)) scores = scores.map(([key, s]) => [key, s + (list.get(key) || 0)]);
    const ranked = scores.sort((a, b) => b[1] - a[1] || a[0] - b[0]).map((s) => s[0]);
    const limit = phrases.length ? Math.min(ranked.length, 40) : ranked.length;
    const hits = [];
    for (let i = 0; i < limit && hits.length < SHOWN; ) {
      // The fragments of as many candidates as results are missing, at once.
      const batch = ranked.slice(i, Math.min(limit, i + SHOWN - hits.length));
      const fragments = await Promise.all(batch.map((key) => file("f/" + Math.floor(key / SLOTS) + ".json")));
      fragments.forEach((records, j) => {
        const hit = result(records, batch[j] % SLOTS);
        // A phrase not in a text cut short may be in what was cut: kept.
        if (hit && (hit.cut || phrases.every((p) => hasPhrase(words(hit.whole), p)))) hits.push(hit);
      });
      i += batch.length;
    }
    return hits;
  }

  // A record as a result shows it; `whole`, where its phrases are looked
  // for: a page's title and text and its headings', a heading's or row's own.
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
      whole: page ? records.map(titled).join(" ") : titled(r),
      cut: page ? records.some((x) => x.m) : !!r.m,
    };
  }

  function hasPhrase(words, phrase) {
    return words.some((_, i) => phrase.every((w, j) => words[i + j] === w));
  }

  // A 404: the site was rebuilt since meta.json came; once more with a new one.
  async function search(q) {
    try {
      return await find(q);
    } catch (e) {
      if (e.status !== 404) throw e;
      files.clear();
      return find(q);
    }
  }

  // ---- The box --------------------------------------------------------------

  // Up to 180 characters from a little before the first mark.
  function snippet(text, q) {
    const first = ranges(text, q)[0];
    let from = first ? Math.max(0, first[0] - 60) : 0;
    const space = text.indexOf(" ", from);
    if (from && space >= 0 && space < first[0]) from = space + 1;
    let cut = text.slice(from, from + 180);
    if (from + 180 < text.length) cut = cut.replace(/\s+\S*$/, "") + " …";
    cut = (from ? "… " : "") + cut.trim();
    return marked(cut, ranges(cut, q));
  }

  function element(tag, className, children) {
    const e = document.createElement(tag);
    e.className = className;
    e.append(...children);
    return e;
  }

  function setUp(box) {
    const input = box.querySelector("input");
    const list = box.querySelector("[role=listbox]");
    const status = box.querySelector("[role=status]");
    root = new URL(box.dataset.base, document.baseURI);
    box.hidden = false;
    let selected = -1;
    let typed = 0; // queries typed …
    let shown = 0; // … and the one whose results show
    let enter = false; // pressed before they came

    const options = () => list.querySelectorAll("[role=option]");
    function select(i) {
      selected = i;
      options().forEach((o, j) => o.setAttribute("aria-selected", i === j));
      const option = options()[i];
      if (option) option.scrollIntoView({ block: "nearest" });
      if (option) input.setAttribute("aria-activedescendant", option.id);
      else input.removeAttribute("aria-activedescendant");
    }
    function open(yes) {
      list.hidden = !yes;
      input.setAttribute("aria-expanded", yes);
      if (!yes) select(-1);
    }
    function close() {
      open(false);
      status.textContent = "";
    }
    // The selected result, or the first.
    function go() {
      const option = options()[Math.max(selected, 0)];
      if (option) location.href = option.firstChild.href;
    }

    function show(results, q, query) {
      list.replaceChildren(...results.map((r, i) => {
        const link = element("a", "", [
          element("span", "search-section", [r.section]),
          element("span", "search-title", marked(r.title, ranges(r.title, q))),
          element("span", "search-snippet", snippet(r.text, q)),
        ]);
        // The page marks what was searched: ?highlight= before the #.
        const to = new URL(r.url, root);
        to.search = "?highlight=" + encodeURIComponent(query.trim());
        link.href = to.href;
        link.tabIndex = -1;
        const option = element("li", "search-result", [link]);
        option.dataset.kind = r.kind;
        option.id = "envbook-search-" + i;
        option.setAttribute("role", "option");
        option.addEventListener("mousemove", () => selected !== i && select(i));
        return option;
      }));
      open(results.length > 0);
      status.textContent = results.length ? "" : "No results for " + query.trim();
    }

    input.addEventListener("input", async () => {
      const query = input.value;
      const mine = ++typed;
      // Searching waits for a pause in typing: a fast typist does not
      // download the results of every key.
      await new Promise((done) => setTimeout(done, PAUSE));
      if (mine !== typed) return;
      const q = parse(query);
      let results = [];
      let failed = null;
      try {
        results = await search(q);
      } catch (e) {
        failed = e;
      }
      if (mine !== typed) return;
      if (!q.words.length && !q.phrases.length) {
        close();
      } else if (failed) {
        list.replaceChildren();
        close();
        status.textContent = "Search is not available (" + failed.message + ")";
      } else {
        show(results, q, query);
      }
      shown = mine;
      if (enter) go();
      enter = false;
    });
    input.addEventListener("focus", () => {
      file("meta.json").catch(() => {});
      if (options().length) open(true);
    });
    input.addEventListener("keydown", (event) => {
      const count = options().length;
      if (event.key === "ArrowDown" || event.key === "ArrowUp") {
        event.preventDefault();
        if (!count) return;
        open(true);
        // Round the list; up from no selection is the last.
        select((selected + (event.key === "ArrowDown" ? 1 : count - 1 + (selected < 0))) % count);
      } else if (event.key === "Enter") {
        event.preventDefault();
        if (shown === typed) go();
        else enter = true;
      } else if (event.key === "Escape") {
        // Closes the list; again, empties the box and leaves it.
        if (!list.hidden || status.textContent) return close();
        input.value = "";
        input.blur();
      }
    });
    // A click on a result must not blur the box first.
    list.addEventListener("mousedown", (event) => event.preventDefault());
    document.addEventListener("click", (event) => box.contains(event.target) || close());
    // `/` or `s` anywhere but in a field focuses the box.
    document.addEventListener("keydown", (event) => {
      const at = event.target;
      if (!["/", "s"].includes(event.key) || event.ctrlKey || event.metaKey || event.altKey) return;
      if (at.isContentEditable || (at.closest && at.closest("input, textarea, select"))) return;
      event.preventDefault();
      input.focus();
      input.select();
    });
  }

  // ---- The page a result leads to ---------------------------------------

  // The words searched, marked in <main>.
  function markPage(q) {
    const main = document.querySelector("main");
    if (!main) return;
    const walker = document.createTreeWalker(main, NodeFilter.SHOW_TEXT, {
      acceptNode: (node) => (node.parentElement.closest("script, style, mark") ? NodeFilter.FILTER_REJECT : NodeFilter.FILTER_ACCEPT),
    });
    const found = [];
    for (let node; (node = walker.nextNode()); ) {
      const at = ranges(node.data, q);
      if (at.length) found.push([node, at]);
    }
    for (const [node, at] of found) node.replaceWith(...marked(node.data, at));
  }

  // The heading or matrix row the #fragment names.
  function markTarget() {
    document.querySelectorAll(".search-hit").forEach((e) => e.classList.remove("search-hit"));
    let id = location.hash.slice(1);
    try {
      id = decodeURIComponent(id);
    } catch (e) {
      // Not percent-encoded: the id as it is.
    }
    const hit = id && document.getElementById(id);
    if (hit) hit.classList.add("search-hit");
  }

  const highlight = new URLSearchParams(location.search).get("highlight");
  if (highlight) {
    markPage(parse(highlight));
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
      read.clear();
      const urls = (await search(parse(typed))).map((r) => r.url);
      return { urls: urls, files: [...read].sort() };
    },
  };
})();
