// Records what @tryghost/url-utils (the version Ghost 5.130.6 ships, pinned in package.json)
// outputs for every input in inputs.json, into ../../fixtures/url-utils-conformance.json.
//
//   cd tests/conformance && npm ci && node record.mjs
//
// Each input is run through the transform-ready function Ghost itself applies when it saves
// that kind of value, configured the way Ghost configures it (see README.md):
//   url       -> urlUtils.toTransformReady(url)                       (posts.feature_image)
//   html      -> urlUtils.htmlToTransformReady(html)                  (posts.html)
//   plaintext -> urlUtils.plaintextToTransformReady(text)             (posts.plaintext)
//   mobiledoc -> urlUtils.mobiledocToTransformReady(doc, {cardTransformers})
//   markdown  -> the same, on a mobiledoc whose only card is a markdown card holding the input;
//                input and output of the case are the card's markdown text
//   lexical   -> urlUtils.lexicalToTransformReady(doc, {nodes, transformMap})
// with no itemPath and no CDN options (imageBaseUrl etc. do not exist in 4.4.x).
import {createRequire} from 'node:module';
import {readFileSync, writeFileSync} from 'node:fs';
import {fileURLToPath} from 'node:url';
import path from 'node:path';

const require = createRequire(import.meta.url);
const here = path.dirname(fileURLToPath(import.meta.url));
const UrlUtils = require('@tryghost/url-utils');
const CardFactory = require('@tryghost/kg-card-factory');
const defaultCards = require('@tryghost/kg-default-cards');
const {DEFAULT_NODES} = require('@tryghost/kg-default-nodes');
const urlUtilsVersion = require('@tryghost/url-utils/package.json').version;

const OUT = path.join(here, '..', '..', 'fixtures', 'url-utils-conformance.json');
const extracted = JSON.parse(readFileSync(path.join(here, 'inputs.json'), 'utf8'));
const extra = JSON.parse(readFileSync(path.join(here, 'extra-inputs.json'), 'utf8'));

// The wrapper the Rust test uses too (tests/it/conformance.rs): one markdown card.
export function markdownMobiledoc(markdown) {
    return JSON.stringify({
        version: '0.3.1',
        atoms: [],
        cards: [['markdown', {markdown}]],
        markups: [],
        sections: [[10, 0]]
    });
}

function kindOf(fn) {
    const m = fn.match(/^(html|markdown|mobiledoc|lexical|plaintext)/);
    return m ? m[1] : 'url';
}

// Ghost's getSiteUrl() always ends in '/', getSubdir() is '' or '/sub/dir'.
function normalizeSite(siteUrl) {
    const u = new URL(siteUrl);
    const p = u.pathname.replace(/\/+$/, '');
    return `${u.protocol}//${u.host}${p}/`;
}

const toolkits = new Map();
function toolkit(siteUrl) {
    if (!toolkits.has(siteUrl)) {
        const subdir = new URL(siteUrl).pathname.replace(/\/+$/, '');
        const urlUtils = new UrlUtils({getSubdir: () => subdir, getSiteUrl: () => siteUrl});
        // as Ghost's core/server/lib/mobiledoc.js and lexical.js set them up
        const cardFactory = new CardFactory({siteUrl});
        const cardTransformers = defaultCards.map(card => cardFactory.createCard(card));
        const b = f => f.bind(urlUtils);
        const transformMap = {
            absoluteToRelative: {url: b(urlUtils.absoluteToRelative), html: b(urlUtils.htmlAbsoluteToRelative), markdown: b(urlUtils.markdownAbsoluteToRelative)},
            relativeToAbsolute: {url: b(urlUtils.relativeToAbsolute), html: b(urlUtils.htmlRelativeToAbsolute), markdown: b(urlUtils.markdownRelativeToAbsolute)},
            toTransformReady: {url: b(urlUtils.toTransformReady), html: b(urlUtils.htmlToTransformReady), markdown: b(urlUtils.markdownToTransformReady)}
        };
        toolkits.set(siteUrl, {urlUtils, cardTransformers, transformMap});
    }
    return toolkits.get(siteUrl);
}

const FN = {
    url: 'toTransformReady',
    html: 'htmlToTransformReady',
    plaintext: 'plaintextToTransformReady',
    mobiledoc: 'mobiledocToTransformReady',
    markdown: 'mobiledocToTransformReady',
    lexical: 'lexicalToTransformReady'
};

function transform(kind, siteUrl, input) {
    const {urlUtils, cardTransformers, transformMap} = toolkit(siteUrl);
    switch (kind) {
    case 'url':
        return urlUtils.toTransformReady(input);
    case 'html':
        return urlUtils.htmlToTransformReady(input);
    case 'plaintext':
        return urlUtils.plaintextToTransformReady(input);
    case 'mobiledoc':
        return urlUtils.mobiledocToTransformReady(input, {cardTransformers});
    case 'markdown': {
        const out = urlUtils.mobiledocToTransformReady(markdownMobiledoc(input), {cardTransformers});
        return JSON.parse(out).cards[0][1].markdown;
    }
    case 'lexical':
        return urlUtils.lexicalToTransformReady(input, {nodes: DEFAULT_NODES, transformMap});
    }
    throw new Error(kind);
}

// The text in which to look for URLs: JSON documents by their decoded string values.
function strings(kind, value) {
    if (kind !== 'mobiledoc' && kind !== 'lexical') {
        return [value];
    }
    const out = [];
    const walk = (v) => {
        if (typeof v === 'string') {
            out.push(v);
        } else if (v && typeof v === 'object') {
            Object.values(v).forEach(walk);
        }
    };
    try {
        walk(JSON.parse(value));
    } catch (e) {
        out.push(value);
    }
    return out;
}

function escapeRe(s) {
    return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

// On the site's host (any scheme, or protocol-relative), or a root-relative path.
function onSite(kind, siteUrl, input) {
    const host = new URL(siteUrl).host;
    const hostRe = new RegExp(`//${escapeRe(host)}(?![A-Za-z0-9.:-])`, 'i');
    const rootRelRe = /(^|[\s"'(=[,>])\/[A-Za-z0-9_%-]/;
    return strings(kind, input).some(s => hostRe.test(s) || rootRelRe.test(s));
}

const FOREIGN_RE = /(https?:)?\/\/[A-Za-z0-9.-]+/;

const seen = new Set();
const cases = [];
let skipped = 0;
let negatives = 0;
const MAX_NEGATIVES = 12;
for (const item of extracted.inputs.concat(extra.inputs)) {
    const kind = item.kind || kindOf(item.fn);
    const siteUrl = normalizeSite(item.site_url);
    const key = `${kind}\u0000${siteUrl}\u0000${item.input}`;
    if (seen.has(key)) {
        continue;
    }
    seen.add(key);
    const positive = onSite(kind, siteUrl, item.input);
    // hand-written inputs (extra-inputs.json) are always kept
    const forced = item.id.startsWith('extra#');
    if (!positive) {
        // a few negative cases from the tests: URLs on other hosts only
        if (!forced && (negatives >= MAX_NEGATIVES || !strings(kind, item.input).some(s => FOREIGN_RE.test(s)))) {
            continue;
        }
    }
    let output;
    try {
        output = transform(kind, siteUrl, item.input);
    } catch (e) {
        skipped += 1;
        continue;
    }
    if (typeof output !== 'string') {
        skipped += 1;
        continue;
    }
    if (!positive && !forced) {
        negatives += 1;
    }
    cases.push({
        id: item.id,
        fn: FN[kind],
        kind,
        site_url: siteUrl,
        input: item.input,
        output,
        source_fn: item.fn || null,
        test: item.test || null
    });
}

const doc = {
    url_utils_version: urlUtilsVersion,
    generated: new Date().toISOString().slice(0, 10),
    inputs_from: extracted.source,
    how: 'tests/conformance/record.mjs: each input through the transform-ready function Ghost applies to that kind of value; markdown as the only card of a mobiledoc',
    cases
};
writeFileSync(OUT, JSON.stringify(doc, null, 1) + '\n');

const counts = {};
for (const c of cases) {
    counts[`${c.fn}/${c.kind}`] = (counts[`${c.fn}/${c.kind}`] || 0) + 1;
}
console.log(`url-utils ${urlUtilsVersion}: ${cases.length} cases (${negatives} negative from the tests, ${skipped} inputs url-utils threw on) -> ${path.relative(process.cwd(), OUT)}`);
console.log(counts);
