import {
  CST,
  type Document,
  isAlias,
  isCollection,
  isMap,
  isNode,
  isPair,
  isScalar,
  isSeq,
  Lexer,
  LineCounter,
  parseDocument,
} from "yaml";
import type { ErrorCode } from "./CodexError.ts";
import { pathString, problemsError, type YamlProblem } from "./problems.ts";
import { MAX_YAML_BYTES } from "./readCapped.ts";

export { MAX_YAML_BYTES };

/** Real config nests 5 or 6 levels; 64 leaves room for JSON Schemas and stops stack-blowing input. */
export const MAX_YAML_DEPTH = 64;
/** Anchors and aliases are allowed for light reuse; more alias uses than this is an expansion attack. */
export const MAX_YAML_ALIASES = 16;
/** Passed to yaml's own resolver as a second line of defence against alias expansion. */
const MAX_ALIAS_EXPANSION = 100;

interface Position {
  line: number;
  col: number;
}

interface Located {
  /** The deepest node the path reaches, or the document when it reaches none. */
  node: unknown;
  /** How many path parts were found. */
  depth: number;
}

/** Lexer tokens that mark structure but stand for no source character. */
const ZERO_WIDTH = new Set([CST.DOCUMENT, CST.FLOW_END, CST.SCALAR]);

/**
 * A parsed YAML file that remembers where every value came from, so validation errors can say
 * `file:line:col`. Parsing refuses hostile input (oversized, too deep, alias bombs) before it can
 * cost much time or memory.
 */
export class YamlSource {
  readonly file: string;
  readonly text: string;
  readonly doc: Document;
  readonly lineCounter: LineCounter;
  /** The plain JS value of the document. */
  readonly data: unknown;

  private constructor(file: string, text: string, doc: Document, lineCounter: LineCounter, data: unknown) {
    this.file = file;
    this.text = text;
    this.doc = doc;
    this.lineCounter = lineCounter;
    this.data = data;
  }

  /** A problem for a file over MAX_YAML_BYTES, or undefined; callers check this before reading the file. */
  static sizeProblem(bytes: number, file: string): YamlProblem | undefined {
    if (bytes <= MAX_YAML_BYTES) return undefined;
    return {
      file,
      line: 1,
      col: 1,
      path: "",
      // readCapped stops one byte past the cap, so that size means "at least".
      message: `file is ${bytes === MAX_YAML_BYTES + 1 ? "over" : `${(bytes / 1024).toFixed(1)} KiB, over`} the ${MAX_YAML_BYTES / 1024} KiB cap on YAML config files (split it or trim it)`,
    };
  }

  /** Parses `text`; throws a CodexError with `code` listing every problem found. */
  static parse(text: string, file: string, code: ErrorCode, hint: string): YamlSource {
    const fail = (problems: YamlProblem[]) => problemsError(code, problems, hint);
    const tooBig = YamlSource.sizeProblem(Buffer.byteLength(text, "utf8"), file);
    if (tooBig) throw fail([tooBig]);

    const shallow = nestingProblem(text, file);
    if (shallow) throw fail([shallow]);

    const lineCounter = new LineCounter();
    const doc = parseDocument(text, { lineCounter, prettyErrors: false, uniqueKeys: true });
    const at = (offset: number): Position => lineCounter.linePos(offset);
    if (doc.errors.length > 0) {
      throw fail(
        doc.errors.map((e) => {
          const pos = at(e.pos[0]);
          return { file, ...pos, path: "", message: `YAML syntax error: ${e.message.split("\n")[0]}` };
        }),
      );
    }

    const structural = structureProblem(doc, file, at);
    if (structural) throw fail([structural]);

    let data: unknown;
    try {
      data = doc.toJS({ maxAliasCount: MAX_ALIAS_EXPANSION });
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      throw fail([{ file, line: 1, col: 1, path: "", message: `YAML could not be resolved: ${message}` }]);
    }
    return new YamlSource(file, text, doc, lineCounter, data);
  }

  /** 1-based line and column of a character offset. */
  at(offset: number): Position {
    return this.lineCounter.linePos(offset);
  }

  /** Walks `path` as far as the document goes. */
  private locate(path: ReadonlyArray<PropertyKey>): Located {
    let node: unknown = this.doc.contents;
    let depth = 0;
    for (const part of path) {
      let next: unknown;
      if (isMap(node)) {
        const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === String(part));
        if (!pair) break;
        // `key:` with nothing after it has no value node: point at the key instead.
        next = isNode(pair.value) ? pair.value : pair.key;
      } else if (isSeq(node) && typeof part === "number") {
        next = node.items[part];
      }
      if (!isNode(next)) break;
      node = next;
      depth++;
    }
    return { node, depth };
  }

  private offsetOf(node: unknown): number {
    return isNode(node) && node.range ? node.range[0] : 0;
  }

  /** Where the value at `path` starts (or its nearest existing parent). */
  positionOf(path: ReadonlyArray<PropertyKey>): Position {
    return this.at(this.offsetOf(this.locate(path).node));
  }

  /** A problem at the value `path` points to (or its nearest existing parent). */
  problem(path: ReadonlyArray<PropertyKey>, message: string): YamlProblem {
    return { file: this.file, ...this.positionOf(path), path: pathString(path), message };
  }

  /** A problem at the key `key` of the mapping at `path` (for unknown keys). */
  keyProblem(path: ReadonlyArray<PropertyKey>, key: string, message: string): YamlProblem {
    const { node, depth } = this.locate(path);
    let offset = this.offsetOf(node);
    if (depth === path.length && isMap(node)) {
      const pair = node.items.find((p) => isScalar(p.key) && String(p.key.value) === key);
      if (pair) offset = this.offsetOf(pair.key);
    }
    return { file: this.file, ...this.at(offset), path: pathString([...path, key]), message };
  }

  /**
   * A problem at the first occurrence of `needle` inside the value at `path`: used to point at a
   * template reference inside a multi-line string, falling back to the value's start.
   */
  textProblem(path: ReadonlyArray<PropertyKey>, needle: string, message: string): YamlProblem {
    const { node } = this.locate(path);
    let offset = this.offsetOf(node);
    if (isNode(node) && node.range) {
      const found = this.text.slice(node.range[0], node.range[2]).indexOf(needle);
      if (found >= 0) offset = node.range[0] + found;
    }
    return { file: this.file, ...this.at(offset), path: pathString(path), message };
  }
}

/**
 * A quick lexer pass, before the (recursive, and on deep input slow) parser runs: refuses flow
 * nesting (`[[[[…`) or compact block nesting on one line (`- - - -…`) deeper than MAX_YAML_DEPTH.
 * Deeper block nesting needs ever more indentation, so within MAX_YAML_BYTES it stays cheap to
 * parse and is measured exactly afterwards by structureProblem.
 */
function nestingProblem(text: string, file: string): YamlProblem | undefined {
  let offset = 0;
  let flow = 0;
  let compact = 0;
  for (const token of new Lexer().lex(text)) {
    const type = CST.tokenType(token);
    if (type === "flow-seq-start" || type === "flow-map-start") flow++;
    else if (type === "flow-seq-end" || type === "flow-map-end") flow = Math.max(0, flow - 1);
    else if (token === CST.FLOW_END) flow = 0;
    else if (type === "newline") compact = 0;
    else if (type === "seq-item-ind" || type === "explicit-key-ind") compact++;
    if (flow + compact > MAX_YAML_DEPTH) {
      const pos = positionIn(text, offset);
      return { file, ...pos, path: "", message: depthMessage() };
    }
    if (!ZERO_WIDTH.has(token)) offset += token.length;
  }
  return undefined;
}

/** Exact depth and alias count on the composed document, walked with an explicit stack. */
function structureProblem(
  doc: Document,
  file: string,
  at: (offset: number) => Position,
): YamlProblem | undefined {
  const stack: Array<{ node: unknown; depth: number }> = [{ node: doc.contents, depth: 1 }];
  let aliases = 0;
  while (stack.length > 0) {
    const item = stack.pop();
    if (!item) break;
    const { node, depth } = item;
    const offset = isNode(node) && node.range ? node.range[0] : 0;
    if (isAlias(node) && ++aliases > MAX_YAML_ALIASES) {
      return {
        file,
        ...at(offset),
        path: "",
        message: `more than ${MAX_YAML_ALIASES} YAML aliases (*name); config files may reuse a few anchors, not expand them (possible "billion laughs" input)`,
      };
    }
    if (!isCollection(node)) continue;
    if (depth > MAX_YAML_DEPTH) return { file, ...at(offset), path: "", message: depthMessage() };
    for (const child of node.items) {
      if (isPair(child)) {
        stack.push({ node: child.key, depth: depth + 1 }, { node: child.value, depth: depth + 1 });
      } else {
        stack.push({ node: child, depth: depth + 1 });
      }
    }
  }
  return undefined;
}

function depthMessage(): string {
  return `YAML nests deeper than ${MAX_YAML_DEPTH} levels; config files never need that (flatten the structure)`;
}

function positionIn(text: string, offset: number): Position {
  let line = 1;
  let lineStart = 0;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) {
    line++;
    lineStart = i + 1;
  }
  return { line, col: offset - lineStart + 1 };
}
