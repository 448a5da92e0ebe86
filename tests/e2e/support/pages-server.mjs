// A static file server that behaves like GitHub Pages for a project site, so the end-to-end
// tests see what visitors see: it serves dist-pages/ (the app under /foldlab/), redirects a
// directory without its trailing slash, answers with the right Content-Type (browsers refuse
// to stream-compile wasm served as anything but application/wasm), answers /foldlab/lab with
// lab.html when there is one (Pages' extensionless URLs: the page `cargo xtask build` writes for
// each route), and answers any other path that is not a file with the site's 404.html and
// status 404.
//
// Usage: node tests/e2e/support/pages-server.mjs   (PORT defaults to 4173, host 127.0.0.1)
// GitHub Pages serves a .webmanifest as application/manifest+json, and so does this server.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
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

function send(response, method, status, path) {
  response.writeHead(status, {
    'Content-Type': contentTypes[extname(path)] ?? 'application/octet-stream',
    // Like Pages' short max-age, but tests should always see the latest build.
    'Cache-Control': 'no-cache',
  });
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
    send(response, method, 200, page);
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
      send(response, method, 200, index);
      return;
    }
  } else if (found) {
    send(response, method, 200, found);
    return;
  }
  if ((await fileAt(notFoundPage)) === notFoundPage) {
    send(response, method, 404, notFoundPage);
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
