// The console's bundle: served by `byzer serve` at / (page) and /console/assets/ (scripts, styles).
import { defineConfig } from "vite";

export default defineConfig({
  base: "/console/",
  build: {
    outDir: "../dist",
    emptyOutDir: true,
    assetsDir: "assets",
    chunkSizeWarningLimit: 2000,
    sourcemap: false,
  },
});
