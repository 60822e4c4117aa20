import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { vitePlugin as remix } from '@remix-run/dev';
import { defineConfig } from 'vite';

// The repository root, whatever directory the process was started from: Remix resolves
// appDirectory and buildDirectory against Vite's root.
const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');

declare module '@remix-run/node' {
  interface Future {
    v3_singleFetch: true;
  }
}

export default defineConfig({
  root,
  // Its own cache, so the web app's optimised deps never collide with another Vite user's.
  cacheDir: path.join(root, 'node_modules/.vite/web'),
  publicDir: path.join(root, 'web/public'),
  server: {
    fs: {
      // The dev server would otherwise hand any file under the repository to whoever can reach
      // it (seed passwords, migrations, .data); the browser only needs web/app, shared
      // workflow data and node_modules.
      deny: [
        '.env',
        '.env.*',
        '*.{crt,pem,key}',
        '*.md',
        '*.server.ts',
        ...['.data', '.git', 'db', 'test', 'emulator', 'worker', 'activities', 'dev', 'build'].map((dir) => `${root}/${dir}/**`),
        ...['package.json', 'package-lock.json', 'web/server.ts'].map((file) => `${root}/${file}`),
      ],
    },
    watch: {
      // Postgres data, emulator journals and test output change constantly and are no source of the app.
      ignored: ['**/.data/**', '**/emulator/**', '**/test/**', '**/web/build/**', '**/coverage/**'],
    },
  },
  optimizeDeps: {
    // Pre-bundled when the dev server starts, not discovered on the first visit to a page that
    // draws a chart: a dependency found late makes Vite reload the page in the browser, which
    // loses what the user (or a browser test) was doing on it.
    include: ['@visx/axis', '@visx/group', '@visx/scale', '@visx/shape'],
  },
  plugins: [
    remix({
      appDirectory: 'web/app',
      buildDirectory: 'web/build',
      future: {
        v3_fetcherPersist: true,
        v3_relativeSplatPath: true,
        v3_throwAbortReason: true,
        v3_singleFetch: true,
        v3_lazyRouteDiscovery: true,
      },
    }),
  ],
});
