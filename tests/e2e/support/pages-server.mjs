// A static file server that behaves like GitHub Pages for a project site, so the end-to-end
// tests see what visitors see: it serves dist-pages/ (the app under /foldlab/), redirects a
// directory without its trailing slash, answers with the right Content-Type (browsers refuse
// to stream-compile wasm served as anything but application/wasm), answers /foldlab/lab with
// lab.html when there is one (Pages' extensionless URLs: the page `cargo xtask build` writes for
// each route), and answers any other path that is not a file with the site's 404.html and
// status 404.
//
// With FOLDLAB_COMPRESS=1 it also compresses as a CDN does, by the request's Accept-Encoding
// (br, else gzip): what `cargo xtask bench` measures the first download with.
//
// Usage: node tests/e2e/support/pages-server.mjs   (PORT defaults to 4173, host 127.0.0.1)
// GitHub Pages serves a .webmanifest as application/manifest+json, and so does this server.
import { createReadStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const host = '127.0.0.1';
const port = Number(process.env.PORT ?? 4173);
const site = 'foldlab';
// FOLDLAB_DIST_ROOT serves another build the same way (`cargo xtask bench` uses dist-bench).
const root = process.env.FOLDLAB_DIST_ROOT
  ? resolve(process.env.FOLDLAB_DIST_ROOT)
  : resolve(fileURLToPath(new URL('../../../dist-pages', import.meta.url)));
const notFoundPage = join(root, site, '404.html');
// FOLDLAB_ISOLATE=1 makes the pages cross-origin isolated (COOP and COEP headers), which GitHub
// Pages cannot: browsers then give performance.now() in steps of microseconds instead of 0.1 ms,
// so the benchmark can time work that takes about a millisecond.
const isolated = process.env.FOLDLAB_ISOLATE === '1';

const contentTypes = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.wasm': 'application/wasm',
  '.json': 'application/json; charset=utf-8',
  '.webmanifest': 'application/manifest+json',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
  '.woff2': 'font/woff2',
};

async function fileAt(path) {
  try {
    const info = await stat(path);
    return info.isFile() ? path : info.isDirectory() ? 'directory' : null;
  } catch {
    return null;
  }
}

const compress = process.env.FOLDLAB_COMPRESS === '1';
const compressible = new Set(['.html', '.js', '.mjs', '.css', '.wasm', '.json', '.map', '.svg', '.txt']);
const compressed = new Map();

// The encoding to answer `request` for `path` with: br or gzip when compressing and accepted.
function encodingFor(request, path) {
  if (!compress || !compressible.has(extname(path))) return null;
  const accepted = String(request.headers['accept-encoding'] ?? '')
    .split(',')
    .map((part) => part.trim().split(';')[0]);
  return accepted.includes('br') ? 'br' : accepted.includes('gzip') ? 'gzip' : null;
}

// The file compressed with `encoding` (brotli quality 11, gzip level 9, as `cargo xtask size`
// counts), cached per file version.
async function compressedFile(path, encoding) {
  const info = await stat(path);
  const key = `${encoding} ${path} ${info.mtimeMs} ${info.size}`;
  if (!compressed.has(key)) {
    const bytes = await readFile(path);
    compressed.set(
      key,
      encoding === 'br'
        ? brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_LGWIN]: 22 } })
        : gzipSync(bytes, { level: 9 }),
    );
  }
  return compressed.get(key);
}

async function send(request, response, method, status, path) {
  const headers = {
    'Content-Type': contentTypes[extname(path)] ?? 'application/octet-stream',
    // Like Pages' short max-age, but tests should always see the latest build.
    'Cache-Control': 'no-cache',
    ...(isolated ? { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' } : {}),
  };
  const encoding = encodingFor(request, path);
  if (encoding) {
    const body = await compressedFile(path, encoding);
    response.writeHead(status, { ...headers, 'Content-Encoding': encoding, Vary: 'Accept-Encoding', 'Content-Length': body.length });
    response.end(method === 'HEAD' ? undefined : body);
    return;
  }
  response.writeHead(status, headers);
  if (method === 'HEAD') {
    response.end();
    return;
  }
  createReadStream(path).pipe(response);
}

const server = createServer(async (request, response) => {
  const method = request.method ?? 'GET';
  if (method !== 'GET' && method !== 'HEAD') {
    response.writeHead(405, { Allow: 'GET, HEAD' }).end();
    return;
  }
  let pathname;
  try {
    pathname = decodeURIComponent(new URL(request.url ?? '/', `http://${host}`).pathname);
  } catch {
    response.writeHead(400).end();
    return;
  }
  // normalize() resolves `..`; anything that still escapes the root is treated as not found.
  const candidate = normalize(join(root, pathname));
  const inside = candidate === root || candidate.startsWith(root + sep);
  const found = inside ? await fileAt(candidate) : null;

  // lessons.html answers /foldlab/lessons before the lessons/ directory does.
  const page = inside && !pathname.endsWith('/') && found !== candidate ? await fileAt(`${candidate}.html`) : null;
  if (page && page !== 'directory') {
    await send(request, response, method, 200, page);
    return;
  }
  if (found === 'directory') {
    if (!pathname.endsWith('/')) {
      // Pages redirects /foldlab to /foldlab/ so relative URLs resolve inside the site.
      response.writeHead(301, { Location: `${pathname}/` }).end();
      return;
    }
    const index = await fileAt(join(candidate, 'index.html'));
    if (index && index !== 'directory') {
      await send(request, response, method, 200, index);
      return;
    }
  } else if (found) {
    await send(request, response, method, 200, found);
    return;
  }
  if ((await fileAt(notFoundPage)) === notFoundPage) {
    await send(request, response, method, 404, notFoundPage);
  } else {
    response.writeHead(404, { 'Content-Type': 'text/plain; charset=utf-8' }).end('404 Not Found\n');
  }
});

if ((await fileAt(join(root, site, 'index.html'))) === null) {
  console.error(`pages-server: ${join(root, site, 'index.html')} is missing; run \`cargo xtask build --public-url /${site}/ --dist dist-pages/${site}\` first`);
  process.exit(1);
}

// PORT=0 takes any free port; the line below names the one taken.
server.listen(port, host, () => {
  console.log(`pages-server: serving ${root} at http://${host}:${server.address().port}/${site}/`);
});
