/// <reference types="vitest/config" />
import { defineConfig } from "vite";

// Relative asset paths: the same build is served by the daemon at `/` and loaded by
// the desktop app from its bundled assets.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
  // Unit tests only; the end-to-end tests in e2e/ run under `node --test`.
  test: { include: ["src/**/*.test.ts"] },
});
