/**
 * Build of the operator dashboard: `vite build web` (from the repository root) writes web/dist,
 * which the node serves under /dashboard/ (src/ops/dashboard.ts).
 */
import { defineConfig } from 'vite'

export default defineConfig({
  base: '/dashboard/',
  // esbuild compiles the TSX itself: no React plugin needed for a production build.
  esbuild: { jsx: 'automatic' },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    chunkSizeWarningLimit: 400,
  },
})
