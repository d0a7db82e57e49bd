import fs from 'node:fs';
import ejs, { type TemplateFunction } from 'ejs';

// EJS as Express's view engine, with includes that cost nothing once warm. EJS's own
// include() checks the file system (fs.existsSync) for every include on every render,
// even with its template cache on; a page has ten or more includes. Here each template
// is compiled once and each include path is resolved once, against the including file,
// just as EJS resolves it. A template runs inside `with (locals)`, so an `include` among
// the locals is the one its `include(...)` calls reach. With `cache` off (development)
// every render reads and compiles afresh, so edited templates show on reload.

type Data = Record<string, unknown>;
type Callback = (err: Error | null, html?: string) => void;

// EJS's escape for <%= %> (utils.escapeXML), the same characters and entities, but a
// string with nothing to escape (nearly every value on a page) is returned as it is
// instead of going through replace() with a callback: a tenth of a list page's render.
const SPECIAL = /[&<>'"]/;
const SPECIALS = /[&<>'"]/g;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&#34;', "'": '&#39;' };
const entity = (c: string): string => ENTITIES[c];

export function escapeHtml(markup: unknown): string {
  if (markup == undefined) return '';
  const text = typeof markup === 'string' ? markup : String(markup);
  return SPECIAL.test(text) ? text.replace(SPECIALS, entity) : text;
}

export function createViewEngine(opts: { cache: boolean }): (file: string, data: object, callback: Callback) => void {
  const compiled = new Map<string, TemplateFunction>();
  const resolved = new Map<string, string>();

  const compile = (file: string): TemplateFunction => {
    let fn = opts.cache ? compiled.get(file) : undefined;
    if (!fn) {
      fn = ejs.compile(fs.readFileSync(file, 'utf8'), { filename: file, escape: escapeHtml }) as TemplateFunction;
      if (opts.cache) compiled.set(file, fn);
    }
    return fn;
  };

  const resolve = (from: string, name: string): string => {
    const key = `${from}\0${name}`;
    let file = opts.cache ? resolved.get(key) : undefined;
    if (!file) {
      file = ejs.resolveInclude(name, from);
      if (!fs.existsSync(file)) throw new Error(`Could not find the include file "${name}" (from ${from})`);
      if (opts.cache) resolved.set(key, file);
    }
    return file;
  };

  // Each include gets its own copy of the data, as with EJS's include().
  const render = (file: string, data: Data): string =>
    compile(file)({ ...data, include: (name: string, extra?: Data) => render(resolve(file, name), { ...data, ...extra }) });

  return (file, data, callback) => {
    let html: string;
    try {
      html = render(file, data as Data);
    } catch (err) {
      return callback(err as Error);
    }
    callback(null, html);
  };
}
