import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

// Resolved from this file, not the working directory, so the build works from any folder.
const here = (path: string) => decodeURIComponent(new URL(path, import.meta.url).pathname);

export default defineConfig({
  root: here('.'),
  // The producer serves the build under /console/, so every asset URL must carry that prefix.
  base: '/console/',
  plugins: [preact()],
  build: {
    outDir: here('../../dist/apps/console'),
    emptyOutDir: true,
  },
});
