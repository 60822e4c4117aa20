// Starts the offline Temporal server from its TypeScript sources. The sources are compiled
// with esbuild into a content-addressed file under node_modules/.cache (reused while the
// sources are unchanged; written with a rename, so concurrent starts cannot see half a
// file), then imported. Plain compiled JavaScript starts faster than a loader hook and runs
// without the per-closure name wrappers that on-the-fly TypeScript loaders add.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const srcDir = path.join(root, 'emulator/src');
const cacheDir = path.join(root, 'node_modules/.cache/temporal-offline');

const hash = createHash('sha256');
// Every source file counts, those in subdirectories (history/, schedules/, ...) too.
for (const name of fs.readdirSync(srcDir, { recursive: true }).map(String).sort()) {
  if (!name.endsWith('.ts')) continue;
  hash.update(name).update(fs.readFileSync(path.join(srcDir, name)));
}
const out = path.join(cacheDir, `main-${hash.digest('hex').slice(0, 16)}.mjs`);

if (!fs.existsSync(out)) {
  const { buildSync } = await import('esbuild');
  fs.mkdirSync(cacheDir, { recursive: true });
  const tmp = `${out}.${process.pid}.tmp`;
  buildSync({
    entryPoints: [path.join(srcDir, 'main.ts')],
    bundle: true,
    packages: 'external',
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'inline',
    outfile: tmp,
    logLevel: 'error',
  });
  fs.renameSync(tmp, out);
}

await import(pathToFileURL(out).href);
