#!/usr/bin/env node
// Extracts the INPUTS of @tryghost/url-utils' unit tests into inputs.json.
//
//   node extract-inputs.cjs /path/to/SDK/packages/url-utils SDK_COMMIT > inputs.json
//
// It does not copy or keep any test code. It loads each test file of the url-utils
// package with a tiny describe/it runner and with stand-ins for the module under test:
// every call the test makes to a url-utils function is recorded as
// {file, test, fn, input, site_url} (the first two arguments of the call), and answered
// with the real output of the installed url-utils (so tests that parse the result keep
// running). Assertions (`should`, `assert`, sinon, rewire) are replaced by objects that
// accept everything, so a failing assertion never hides the inputs after it.
// The test files themselves are read from a checkout of github.com/TryGhost/SDK.
'use strict';

const Module = require('module');
const path = require('path');
const fs = require('fs');

const pkgDir = path.resolve(process.argv[2] || '');
const sdkCommit = process.argv[3] || 'unknown';
const testDir = path.join(pkgDir, 'test', 'unit', 'utils');
if (!fs.existsSync(testDir)) {
    console.error(`usage: node extract-inputs.cjs SDK/packages/url-utils SDK_COMMIT > inputs.json\n(no ${testDir})`);
    process.exit(2);
}

// The test files that exercise string-in/string-out URL functions.
const FILE_RE = /^(html|markdown|mobiledoc|lexical|plaintext)?-?(absolute|relative)?-?to-(transform-ready|absolute|relative)\.test\.js$|^(absolute|relative)-to-(transform-ready|absolute|relative)\.test\.js$|^to-transform-ready\.test\.js$/;

const realUtils = require('@tryghost/url-utils/lib/utils');

function camel(name) {
    return name.replace(/-([a-z])/g, (_, c) => c.toUpperCase());
}

// An object that accepts any property access, call or construction.
const absorb = new Proxy(function () {}, {
    get(_t, prop) {
        if (prop === Symbol.toPrimitive) {
            return () => '';
        }
        if (prop === 'then') {
            return undefined;
        }
        return absorb;
    },
    apply() {
        return absorb;
    },
    construct() {
        return absorb;
    }
});
Object.defineProperty(Object.prototype, 'should', {
    get() {
        return absorb;
    },
    set() {},
    configurable: true
});
global.should = absorb;
global.sinon = absorb;

const calls = [];
let current = {file: null, test: null};

function recorder(fnName) {
    return function (...args) {
        if (typeof args[0] === 'string' && typeof args[1] === 'string') {
            calls.push({file: current.file, test: current.test, fn: fnName, input: args[0], site_url: args[1]});
        }
        const real = realUtils[fnName];
        if (typeof real !== 'function') {
            return typeof args[0] === 'string' ? args[0] : absorb;
        }
        try {
            return real(...args);
        } catch (e) {
            return typeof args[0] === 'string' ? args[0] : absorb;
        }
    };
}

function utilsModule(request) {
    const m = request.match(/lib\/utils\/([a-z-]+)$/);
    if (!m) {
        return null;
    }
    const fnName = camel(m[1]);
    const fn = recorder(fnName);
    return new Proxy({default: fn, [fnName]: fn}, {
        get(t, prop) {
            if (prop in t) {
                return t[prop];
            }
            return absorb;
        }
    });
}

const origLoad = Module._load;
Module._load = function (request, parent, isMain) {
    const fromTests = parent && parent.filename && parent.filename.startsWith(path.join(pkgDir, 'test'));
    if (!fromTests) {
        return origLoad.call(this, request, parent, isMain);
    }
    if (request === 'fs' || request === 'path') {
        return origLoad.call(this, request, parent, isMain);
    }
    if (request === 'rewire') {
        return (p) => utilsModule(p) || absorb;
    }
    const u = utilsModule(request);
    if (u) {
        return u;
    }
    // test helpers, should, sinon, cheerio, remark, assert, ...
    return absorb;
};

// A minimal describe/it runner: hooks of enclosing suites run around each test.
function Suite(title, parent) {
    this.title = title;
    this.parent = parent;
    this.children = [];
    this.beforeEach = [];
    this.afterEach = [];
    this.before = [];
}
let suite = new Suite('', null);
const root = suite;
global.describe = (title, fn) => {
    const s = new Suite(title, suite);
    suite.children.push(s);
    const prev = suite;
    suite = s;
    fn.call({timeout() {}});
    suite = prev;
};
global.describe.skip = global.describe;
global.describe.only = global.describe;
global.context = global.describe;
global.it = (title, fn) => suite.children.push({title, fn});
global.it.skip = global.it;
global.it.only = global.it;
global.beforeEach = fn => suite.beforeEach.push(fn);
global.afterEach = fn => suite.afterEach.push(fn);
global.before = fn => suite.before.push(fn);
global.after = () => {};

async function callHook(fn, ctx) {
    try {
        await (fn.length ? new Promise(r => fn.call(ctx, r)) : fn.call(ctx));
    } catch (e) {
        // a failing hook or test only ends that test
    }
}

async function runSuite(s, chain, titles) {
    const ctx = {timeout() {}, skip() {}};
    for (const h of s.before) {
        await callHook(h, ctx);
    }
    for (const c of s.children) {
        if (c instanceof Suite) {
            await runSuite(c, chain.concat([c]), titles.concat([c.title]));
            continue;
        }
        current.test = titles.concat([c.title]).filter(Boolean).join(' / ');
        for (const st of chain) {
            for (const h of st.beforeEach) {
                await callHook(h, ctx);
            }
        }
        await callHook(c.fn, ctx);
        for (const st of chain.slice().reverse()) {
            for (const h of st.afterEach) {
                await callHook(h, ctx);
            }
        }
    }
}

(async () => {
    const files = fs.readdirSync(testDir).filter(f => FILE_RE.test(f)).sort();
    for (const f of files) {
        suite = new Suite('', null);
        const fileRoot = suite;
        current = {file: f, test: null};
        require(path.join(testDir, f));
        await runSuite(fileRoot, [fileRoot], []);
    }
    void root;
    // number the calls per file in the order the tests made them
    const perFile = {};
    const out = calls.map((c) => {
        perFile[c.file] = (perFile[c.file] || 0) + 1;
        return Object.assign({id: `${c.file.replace(/\.test\.js$/, '')}#${perFile[c.file]}`}, c);
    });
    process.stdout.write(JSON.stringify({
        source: `TryGhost/SDK@${sdkCommit} packages/url-utils/test/unit/utils`,
        note: 'inputs extracted by extract-inputs.cjs: the first two arguments of every url-utils call the tests make',
        inputs: out
    }, null, 1) + '\n');
})();
