/**
 * Shared by the Notion and Teamwork fakes: loads a vendor spec from test/fixtures/vendor-specs (its
 * README names each file's source and licence), resolves a request's method and path to the spec's operation, and
 * checks what the operation declares: required path and query parameters, their types, and the JSON
 * body against the operation's schema (ajv). Overlays patch the specs' known gaps; each fake keeps its
 * own, commented, and an overlay may only tighten or correct, never loosen.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { Ajv, type ValidateFunction } from "ajv";
import { Ajv2020 } from "ajv/dist/2020.js";

export const VENDOR_SPECS_DIR = path.resolve(import.meta.dirname, "../fixtures/vendor-specs");

export function readSpec(file: string): Record<string, unknown> {
  return JSON.parse(readFileSync(path.join(VENDOR_SPECS_DIR, file), "utf8")) as Record<string, unknown>;
}

export interface SpecParam {
  name: string;
  in: "path" | "query" | "header" | "body";
  required: boolean;
  /** The scalar type the spec declares (Swagger 2 `type`, OpenAPI 3 `schema.type`). */
  type: string | undefined;
}

export interface SpecOperation {
  id: string;
  method: string;
  template: string;
  params: SpecParam[];
  /** A JSON pointer (into the spec, or into an overlay) to the body schema, when the operation has one. */
  bodyRef: string | undefined;
  bodyRequired: boolean;
  regex: RegExp;
  names: string[];
}

export interface Matched {
  op: SpecOperation;
  pathParams: Record<string, string>;
}

function escapeRe(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

function pointer(parts: string[]): string {
  return `#/${parts.map((p) => p.replaceAll("~", "~0").replaceAll("/", "~1")).join("/")}`;
}

/** Every operation of an OpenAPI 3.x or Swagger 2.0 document, with its path as a regex. */
export function operations(spec: Record<string, unknown>, schemaId: string): SpecOperation[] {
  const paths = spec.paths as Record<string, Record<string, Record<string, unknown>>>;
  const components =
    (spec.components as { parameters?: Record<string, unknown> } | undefined)?.parameters ?? {};
  const out: SpecOperation[] = [];
  for (const [template, ops] of Object.entries(paths)) {
    const names: string[] = [];
    // Both `{id}` and Teamwork's `:id` templates occur.
    const source = template
      .split(/(\{[^}]+\}|:[A-Za-z_]+)/)
      .map((seg) => {
        const m = /^\{([^}]+)\}$|^:([A-Za-z_]+)$/.exec(seg);
        if (!m) return escapeRe(seg);
        names.push((m[1] ?? m[2]) as string);
        return "([^/]+)";
      })
      .join("");
    for (const [method, op] of Object.entries(ops)) {
      if (!["get", "post", "put", "patch", "delete"].includes(method)) continue;
      const params: SpecParam[] = [];
      let bodyRef: string | undefined;
      let bodyRequired = false;
      const rawParams = (op.parameters as Record<string, unknown>[] | undefined) ?? [];
      rawParams.forEach((raw, i) => {
        let p = raw;
        if (typeof p.$ref === "string") {
          const key = p.$ref.split("/").at(-1) as string;
          p = (components[key] ?? {}) as Record<string, unknown>;
        }
        const where = p.in as SpecParam["in"];
        if (where === "body") {
          bodyRef = `${schemaId}${pointer(["paths", template, method, "parameters", String(i), "schema"])}`;
          bodyRequired = p.required === true;
          return;
        }
        const schema = p.schema as { type?: string } | undefined;
        params.push({
          name: String(p.name),
          in: where,
          required: p.required === true,
          type: (p.type as string | undefined) ?? schema?.type,
        });
      });
      const rb = op.requestBody as { content?: Record<string, unknown>; required?: boolean } | undefined;
      if (rb?.content?.["application/json"]) {
        bodyRef = `${schemaId}${pointer(["paths", template, method, "requestBody", "content", "application/json", "schema"])}`;
        bodyRequired = rb.required === true;
      }
      out.push({
        id: String(op.operationId ?? `${method} ${template}`),
        method: method.toUpperCase(),
        template,
        params,
        bodyRef,
        bodyRequired,
        regex: new RegExp(`^${source}$`),
        names,
      });
    }
  }
  return out;
}

/** The operation for a method and path; literal segments beat templated ones (`/users/me` over `/users/{id}`). */
export function matchOperation(
  ops: readonly SpecOperation[],
  method: string,
  pathname: string,
): Matched | undefined {
  const hits: Matched[] = [];
  for (const op of ops) {
    if (op.method !== method) continue;
    const m = op.regex.exec(pathname);
    if (!m) continue;
    const pathParams: Record<string, string> = {};
    op.names.forEach((n, i) => {
      pathParams[n] = decodeURIComponent(m[i + 1] as string);
    });
    hits.push({ op, pathParams });
  }
  hits.sort((a, b) => a.op.names.length - b.op.names.length);
  return hits[0];
}

function typeOk(type: string | undefined, value: string): boolean {
  if (type === "integer") return /^-?\d+$/.test(value);
  if (type === "number") return value.trim() !== "" && Number.isFinite(Number(value));
  if (type === "boolean") return value === "true" || value === "false";
  return true;
}

/** Path and query parameters against what the operation declares: required ones present, types right, none unknown. */
export function checkParams(m: Matched, query: URLSearchParams): string[] {
  const problems: string[] = [];
  for (const p of m.op.params) {
    if (p.in === "path") {
      const v = m.pathParams[p.name];
      if (v === undefined || v === "") problems.push(`path parameter ${p.name} is missing`);
      else if (!typeOk(p.type, v)) problems.push(`path parameter ${p.name}=${v} is not ${p.type}`);
    } else if (p.in === "query") {
      const values = [...query.getAll(p.name), ...query.getAll(`${p.name}[]`)];
      if (p.required && values.length === 0) problems.push(`query parameter ${p.name} is required`);
      for (const v of values) {
        if (p.type !== "array" && !typeOk(p.type, v))
          problems.push(`query parameter ${p.name}=${v} is not ${p.type}`);
      }
    }
  }
  const known = new Set(m.op.params.filter((p) => p.in === "query").map((p) => p.name));
  for (const k of new Set(query.keys())) {
    if (!known.has(k.replace(/\[\]$/, "")))
      problems.push(`query parameter ${k} is not defined by ${m.op.id}`);
  }
  return problems;
}

/** Formats the specs use; a format ajv does not know would otherwise be skipped silently. */
const FORMATS: Record<string, RegExp | true> = {
  uuid: /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i,
  "date-time": /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:\d{2})$/,
  date: /^\d{4}-\d{2}-\d{2}$/,
  json: true,
  int32: true,
  int64: true,
  uri: /^https?:\/\//,
};

/** A body validator over a spec document registered under `schemaId`, plus overlays by id. */
export class BodyValidator {
  readonly #ajv: Ajv;
  readonly #cache = new Map<string, ValidateFunction>();

  constructor(
    kind: "openapi3" | "swagger2",
    spec: Record<string, unknown>,
    schemaId: string,
    overlays: Record<string, unknown> = {},
  ) {
    const opts = { allErrors: true, strict: false, validateFormats: true } as const;
    this.#ajv = kind === "openapi3" ? new Ajv2020(opts) : new Ajv(opts);
    for (const [name, re] of Object.entries(FORMATS)) this.#ajv.addFormat(name, re);
    this.#ajv.addSchema(spec, schemaId);
    for (const [id, schema] of Object.entries(overlays)) this.#ajv.addSchema(schema as object, id);
  }

  /** Problems with `body` under the schema at `ref` (`id#/pointer`); empty when it is valid. */
  validate(ref: string, body: unknown): string[] {
    let v = this.#cache.get(ref);
    if (!v) {
      v = this.#ajv.compile({ $ref: ref });
      this.#cache.set(ref, v);
    }
    if (v(body)) return [];
    return (v.errors ?? []).map(
      (e) =>
        `${e.instancePath || "(body)"} ${e.message ?? "is invalid"}${e.params ? ` ${JSON.stringify(e.params)}` : ""}`,
    );
  }
}
