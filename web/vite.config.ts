// The dashboard's build: Preact and uPlot bundled into static files under dist/web,
// which the coordinator serves at `/`. Nothing is loaded from elsewhere at run time.
import { fileURLToPath } from 'node:url';
import preact from '@preact/preset-vite';
import { defineConfig } from 'vite';

const here = fileURLToPath(new URL('.', import.meta.url));

export default defineConfig({
  root: here,
  base: '/',
  plugins: [preact()],
  logLevel: 'warn',
  build: {
    outDir: fileURLToPath(new URL('../dist/web', import.meta.url)),
    emptyOutDir: true,
    // Small enough to read whole; a source map would double what the package ships.
    sourcemap: false,
    reportCompressedSize: false,
  },
});
