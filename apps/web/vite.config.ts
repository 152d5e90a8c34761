import { defineConfig } from 'vite';

export default defineConfig({
  // Relative asset paths: the built app works from any directory or sub-path.
  base: './',
  worker: { format: 'es' },
  build: {
    target: 'es2022',
    // The models are fetched by URL; never inline them.
    assetsInlineLimit: 0,
    reportCompressedSize: true,
  },
  server: { fs: { allow: ['../..'] } },
});
