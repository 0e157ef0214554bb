import { defineConfig } from "vite";

// Relative asset paths: the same build is served by the daemon at `/` and, in the next
// issue, loaded by the desktop app.
export default defineConfig({
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, sourcemap: false },
});
