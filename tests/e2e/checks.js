// The in-page half of tests/e2e/checks.py (see its docstring for the rules): installed as window.__e2eChecks.
(() => {
  const describe = (el) => {
    let s = el.tagName.toLowerCase();
    if (el.id) s += '#' + el.id;
    for (const c of el.classList) s += '.' + c;
    for (const a of ['name', 'type', 'href']) {
      const v = el.getAttribute(a);
      if (v !== null && !(a === 'type' && el.tagName !== 'INPUT')) s += `[${a}="${v.slice(0, 60)}"]`;
    }
    const text = ((el.innerText ?? '') || el.value || el.getAttribute('aria-label') || '').trim().replace(/\s+/g, ' ');
    if (text) s += ` "${text.slice(0, 40)}${text.length > 40 ? '…' : ''}"`;
    return s;
  };
  const shown = (el) => {
    if (!el.checkVisibility({ opacityProperty: true, visibilityProperty: true })) return false;
    const r = el.getBoundingClientRect();
    if (r.width <= 1 || r.height <= 1) return false;
    // Off the page (the skip link waits above it until focused).
    return r.bottom + window.scrollY > 0 && r.right + window.scrollX > 0;
  };

  // Everything that needs no interaction, for the checks named in args.checks.
  const pageChecks = (args) => {
    const out = {};
    const problems = (key) => (out[key] = out[key] || []);
    const on = new Set(args.checks);
    const notes = [];

    if (on.has('lang')) {
      const lang = document.documentElement.getAttribute('lang');
      if (!lang || !lang.trim()) problems('lang').push('<html> has no lang attribute');
    }

    if (on.has('landmarks')) {
      const count = (tag, role) => document.querySelectorAll(`${tag}, [role="${role}"]`).length;
      for (const [tag, role] of [['header', 'banner'], ['nav', 'navigation'], ['main', 'main'], ['footer', 'contentinfo']]) {
        const n = count(tag, role);
        if (n === 0) problems('landmarks').push(`no <${tag}> (or role=${role}) landmark`);
        if (tag === 'main' && n > 1) problems('landmarks').push(`${n} <main> landmarks; there must be one`);
      }
    }

    if (on.has('headings')) {
      // Headings hidden only visually (.visually-hidden) still head their section for a screen reader.
      const hs = [...document.querySelectorAll('h1, h2, h3, h4, h5, h6')]
        .filter((h) => h.checkVisibility({ visibilityProperty: true }));
      const h1s = hs.filter((h) => h.tagName === 'H1');
      if (h1s.length !== 1) problems('headings').push(`${h1s.length} <h1> elements; there must be one`);
      if (hs.length && hs[0].tagName !== 'H1') problems('headings').push(`first heading is ${describe(hs[0])}, not an <h1>`);
      let level = 0;
      for (const h of hs) {
        const l = Number(h.tagName[1]);
        if (level && l > level + 1) problems('headings').push(`${describe(h)} skips from h${level} to h${l}`);
        level = l;
      }
    }

    const FIELDS = 'input:not([type="hidden"]):not([type="submit"]):not([type="button"]):not([type="reset"]):not([type="image"]), select, textarea';
    const nameOf = (el) => {
      const bits = [];
      for (const id of (el.getAttribute('aria-labelledby') || '').split(/\s+/).filter(Boolean)) {
        const ref = document.getElementById(id);
        if (ref) bits.push(ref.textContent);
      }
      bits.push(el.getAttribute('aria-label') || '');
      for (const label of el.labels || []) bits.push(label.textContent);
      return bits.join(' ').trim();
    };

    if (on.has('labels')) {
      for (const el of document.querySelectorAll(FIELDS)) {
        if (!shown(el)) continue;
        if (!nameOf(el)) problems('labels').push(`${describe(el)} has no label (no <label for>, wrapping <label>, aria-labelledby or aria-label)`);
      }
    }

    if (on.has('scroll')) {
      // The layout viewport's width: a phone (and Chromium's mobile emulation) zooms out to fit a page that is too
      // wide, which makes innerWidth grow with the page; clientWidth stays the device's 375.
      const width = document.documentElement.clientWidth;
      const sw = document.documentElement.scrollWidth;
      if (sw > width) {
        // Name the deepest elements that stick out, widest first.
        const wide = [...document.body.querySelectorAll('*')]
          .filter((el) => el.getBoundingClientRect().right > width + 0.5 && shown(el))
          .filter((el) => ![...el.children].some((c) => c.getBoundingClientRect().right > width + 0.5))
          .sort((a, b) => b.getBoundingClientRect().right - a.getBoundingClientRect().right)
          .slice(0, 5);
        problems('scroll').push(`page scrolls sideways: scrollWidth ${sw} > viewport width ${width}; sticking out: ` +
          (wide.map((el) => `${describe(el)} (right edge ${Math.round(el.getBoundingClientRect().right)}px)`).join('; ') || '?'));
      }
    }

    const isInline = (el) => getComputedStyle(el).display === 'inline';
    const blockOf = (el) => {
      let p = el.parentElement;
      while (p && getComputedStyle(p).display.startsWith('inline')) p = p.parentElement;
      return p;
    };
    const inRunningText = (el) => {
      if (el.tagName !== 'A' || !isInline(el)) return false;
      const block = blockOf(el);
      if (!block) return false;
      // Text of the block outside this link: letters or digits mean the link sits in a sentence.
      let rest = '';
      const walk = (node) => {
        if (node === el) return;
        if (node.nodeType === Node.TEXT_NODE) rest += node.textContent;
        else for (const c of node.childNodes) walk(c);
      };
      walk(block);
      return /[\p{L}\p{N}]/u.test(rest);
    };

    if (on.has('targets')) {
      const MIN = args.minTarget;
      const targets = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [role="button"]';
      for (const el of document.querySelectorAll(targets)) {
        if (!shown(el) || el.disabled || inRunningText(el)) continue;
        const r = el.getBoundingClientRect();
        if (el.type === 'checkbox' || el.type === 'radio') {
          const label = (el.labels || [])[0];
          if (label && label.getBoundingClientRect().height >= MIN - 0.5) continue;
        }
        if (r.width < MIN - 0.5 || r.height < MIN - 0.5) {
          problems('targets').push(`${describe(el)} is ${Math.round(r.width)}×${Math.round(r.height)} px; tap targets need ${MIN}×${MIN}` +
            (el.tagName === 'A' && isInline(el) ? ' (an inline link alone in its block is not in running text)' : ''));
        }
      }
    }

    if (on.has('contrast')) {
      const ctx = document.createElement('canvas').getContext('2d', { willReadFrequently: true });
      const parse = (value) => {
        const m = value.match(/^rgba?\(([\d.]+),\s*([\d.]+),\s*([\d.]+)(?:,\s*([\d.]+))?\)$/);
        if (m) return [+m[1], +m[2], +m[3], m[4] === undefined ? 1 : +m[4]];
        // Anything else (color(), oklch()…): let a canvas turn it into sRGB.
        ctx.clearRect(0, 0, 1, 1);
        ctx.fillStyle = '#000';
        ctx.fillStyle = value;
        ctx.fillRect(0, 0, 1, 1);
        const d = ctx.getImageData(0, 0, 1, 1).data;
        return [d[0], d[1], d[2], d[3] / 255];
      };
      const over = (top, bottom) => {
        const a = top[3] + bottom[3] * (1 - top[3]);
        if (a === 0) return [0, 0, 0, 0];
        const mix = (i) => (top[i] * top[3] + bottom[i] * bottom[3] * (1 - top[3])) / a;
        return [mix(0), mix(1), mix(2), a];
      };
      const background = (el) => {
        const layers = [];
        for (let n = el; n && n.nodeType === Node.ELEMENT_NODE; n = n.parentElement) {
          const cs = getComputedStyle(n);
          if (cs.backgroundImage && cs.backgroundImage !== 'none') return null;
          layers.push(parse(cs.backgroundColor));
        }
        let bg = [255, 255, 255, 1];
        for (const layer of layers.reverse()) bg = over(layer, bg);
        return bg;
      };
      const lum = ([r, g, b]) => {
        const c = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
        return 0.2126 * c(r) + 0.7152 * c(g) + 0.0722 * c(b);
      };
      const ratio = (a, b) => { const [x, y] = [lum(a), lum(b)].sort((p, q) => q - p); return (x + 0.05) / (y + 0.05); };
      const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
      const ownText = (el) => [...el.childNodes].some((n) => n.nodeType === Node.TEXT_NODE && n.textContent.trim());
      const valued = (el) => (el.matches('input:not([type="checkbox"]):not([type="radio"]):not([type="hidden"]), textarea, select') && el.value);
      for (const el of document.body.querySelectorAll('*')) {
        if (!(ownText(el) || valued(el)) || !shown(el) || el.disabled) continue;
        if (['SCRIPT', 'STYLE', 'NOSCRIPT', 'TITLE', 'OPTION'].includes(el.tagName)) continue;
        const cs = getComputedStyle(el);
        const bg = background(el);
        if (!bg) { notes.push(`contrast not measured over a background image: ${describe(el)}`); continue; }
        const fg = over(parse(cs.color), bg);
        const size = parseFloat(cs.fontSize);
        const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
        const need = large ? 3 : 4.5;
        const got = ratio(fg, bg);
        if (got < need - 0.005) {
          problems('contrast').push(`${describe(el)}: ${hex(fg)} on ${hex(bg)} is ${got.toFixed(2)}:1, needs ${need}:1` +
            ` (${size}px, weight ${cs.fontWeight}${large ? ', large' : ''})`);
        }
      }
    }
    return { problems: out, notes };
  };

  // The focused element, after a real Tab press.
  const focusState = () => {
    const el = document.activeElement;
    if (!el || el === document.body || el === document.documentElement) return null;
    const cs = getComputedStyle(el);
    const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
    const shadow = cs.boxShadow && cs.boxShadow !== 'none';
    return { key: describe(el) + '@' + [...document.querySelectorAll('*')].indexOf(el), what: describe(el),
             visible: outline || shadow, focusVisible: el.matches(':focus-visible') };
  };

  // Focus every other focusable element from script, after keyboard use (so :focus-visible applies as for Tab).
  const focusSweep = (seen) => {
    const FOCUSABLE = 'a[href], button, input:not([type="hidden"]), select, textarea, summary, [tabindex]:not([tabindex="-1"])';
    const bad = [];
    let checked = 0;
    const all = [...document.querySelectorAll('*')];
    for (const el of document.querySelectorAll(FOCUSABLE)) {
      if (el.disabled || !shown(el)) continue;
      const key = describe(el) + '@' + all.indexOf(el);
      if (seen.includes(key)) continue;
      el.focus({ preventScroll: true });
      if (document.activeElement !== el) continue;
      checked += 1;
      const cs = getComputedStyle(el);
      const outline = cs.outlineStyle !== 'none' && parseFloat(cs.outlineWidth) > 0;
      const shadow = cs.boxShadow && cs.boxShadow !== 'none';
      if (!el.matches(':focus-visible')) bad.push(`${describe(el)}: focused after keyboard use but not :focus-visible`);
      else if (!outline && !shadow) bad.push(`${describe(el)} shows no focus indicator (outline ${cs.outlineStyle} ${cs.outlineWidth}, box-shadow none)`);
    }
    document.activeElement && document.activeElement.blur();
    return { bad, checked };
  };

  return { pageChecks, focusState, focusSweep };
})()
