/**
 * Builds the dashboard page into dashboard/dist (npm run build:dashboard). Relative asset URLs (base './') let
 * the controller serve it under any --dashboard-base-path; everything is bundled, nothing comes from a CDN.
 */
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

export const dashboardRoot = dirname(fileURLToPath(import.meta.url));

export default defineConfig({
  root: dashboardRoot,
  base: './',
  logLevel: 'warn',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    assetsInlineLimit: 0,
    modulePreload: { polyfill: false },
  },
});
