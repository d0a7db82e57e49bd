import fs from 'node:fs';
import path from 'node:path';

// The same code runs from TypeScript sources (tests, tsx) and from dist/ (npm start),
// so paths to views, locales and data are resolved from the project root, which is
// the nearest folder above this file that holds package.json.
function findRoot(start: string): string {
  let dir = start;
  for (;;) {
    if (fs.existsSync(path.join(dir, 'package.json'))) return dir;
    const parent = path.dirname(dir);
    if (parent === dir) return process.cwd();
    dir = parent;
  }
}

export const ROOT = findRoot(__dirname);
export const VIEWS_DIR = path.join(ROOT, 'views');
export const PUBLIC_DIR = path.join(ROOT, 'public');
export const LOCALES_DIR = path.join(ROOT, 'server', 'i18n', 'locales');
export const MODEL_DATA_DIR = path.join(ROOT, 'models', 'data');
