import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import type { App } from '../http/app.ts';

// ajv-formats is CommonJS: its default export arrives wrapped under ESM.
const addFormats: (ajv: Ajv2020) => unknown = (addFormatsModule as any).default ?? addFormatsModule;

type Operation = { responses: Record<string, any> };
export type Doc = { paths: Record<string, Record<string, Operation>>; components?: unknown };

export interface Exchange {
  status: number;
  headers: Headers;
  text: string;
  body: any;
}

/**
 * Checks real answers against an OpenAPI document: each answer's status must be documented for its
 * operation, its content type must be the documented one, a JSON body must match the schema (JSON
 * Schema 2020-12, as OpenAPI 3.1 is) and documented headers must be present. Remembers which
 * documented (operation, status) pairs have been seen, to say which no request produced.
 */
export function conformanceOf(doc: Doc) {
  const ajv = new Ajv2020({ strict: false, allErrors: true });
  addFormats(ajv);
  // Component references resolve against the document, added under an id of its own.
  ajv.addSchema({ $id: 'doc', components: doc.components });
  const ops = Object.entries(doc.paths).flatMap(([template, byMethod]) =>
    Object.entries(byMethod).map(([method, op]) => ({
      method: method.toUpperCase(),
      template,
      op,
      pattern: new RegExp(`^${template.replace(/\{[^}]+\}/g, '[^/]+')}$`),
    })),
  );
  const seen = new Set<string>();
  const validators = new Map<object, ReturnType<Ajv2020['compile']>>();
  const validatorOf = (schema: object) => {
    let v = validators.get(schema);
    if (!v) {
      v = ajv.compile(JSON.parse(JSON.stringify(schema).replaceAll('"#/components/', '"doc#/components/')));
      validators.set(schema, v);
    }
    return v;
  };

  function check(method: string, url: string, res: Exchange): void {
    const path = new URL(url, 'http://x').pathname;
    const found = ops.find((o) => o.method === method && o.pattern.test(path));
    if (!found) throw new Error(`${method} ${path} is not in the document`);
    const where = `${method} ${found.template} -> ${res.status}`;
    const spec = found.op.responses[String(res.status)];
    if (!spec) throw new Error(`${where}: status not documented (body: ${res.text.slice(0, 300)})`);
    seen.add(`${method} ${found.template} ${res.status}`);
    const type = (res.headers.get('content-type') ?? '').split(';')[0]!.trim();
    const media = spec.content?.[type];
    if (spec.content && !media)
      throw new Error(`${where}: content type ${type}, documented ${Object.keys(spec.content).join(', ')}`);
    for (const [name, header] of Object.entries<any>(spec.headers ?? {}))
      if (header.required && !res.headers.has(name)) throw new Error(`${where}: no ${name} header`);
    if (type === 'application/json' && media?.schema) {
      const validate = validatorOf(media.schema);
      if (!validate(res.body))
        throw new Error(
          `${where}: body does not match the document: ${ajv.errorsText(validate.errors)}\n${res.text.slice(0, 800)}`,
        );
    }
  }

  return {
    check,
    /** Documented (operation, status) pairs no checked answer has produced yet. */
    unseen: () =>
      ops.flatMap((o) =>
        Object.keys(o.op.responses)
          .map((status) => `${o.method} ${o.template} ${status}`)
          .filter((k) => !seen.has(k)),
      ),
    operations: () => ops.map(({ method, template, op }) => ({ method, template, op })),
    /** Calls an app in-process and checks the answer. */
    async request(
      app: App,
      method: string,
      url: string,
      opts: { token?: string; body?: unknown; raw?: string; headers?: Record<string, string> } = {},
    ): Promise<Exchange> {
      const headers: Record<string, string> = { ...opts.headers };
      if (opts.token) headers.authorization = `Bearer ${opts.token}`;
      let body = opts.raw;
      if (opts.body !== undefined) {
        body = JSON.stringify(opts.body);
        headers['content-type'] ??= 'application/json';
      }
      const res = await app.request(url, { method, headers, body });
      const text = await res.text();
      const type = res.headers.get('content-type') ?? '';
      const exchange = {
        status: res.status,
        headers: res.headers,
        text,
        body: type.startsWith('application/json') && text ? JSON.parse(text) : undefined,
      };
      check(method, url, exchange);
      return exchange;
    },
  };
}

export type Conformance = ReturnType<typeof conformanceOf>;
