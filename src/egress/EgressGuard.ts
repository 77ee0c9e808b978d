import { CodexError } from "../core/CodexError.ts";
import { type AllowedHost, hostLabel } from "./egressAllowlist.ts";

export interface EgressRefusal {
  /** The refused origin and path (no query string: it may carry tokens). */
  target: string;
  host: string;
  method: string;
  allowed: string[];
}

/** Thrown (as a rejected fetch) for a refused host; `code` "EGRESS_REFUSED" tells callers not to retry. */
export class EgressRefusedError extends CodexError {
  readonly refusal: EgressRefusal;

  constructor(refusal: EgressRefusal) {
    super(
      "REFUSED",
      `outbound request to ${refusal.host} refused: it is not a host the configuration implies`,
      {
        hint: `allowed: ${refusal.allowed.join(", ") || "none"}. Set the matching variable (SLACK_API_URL, NOTION_BASE_URL, TEAMWORK_SITE, OPENAI_BASE_URL, ANTHROPIC_BASE_URL, MAOS_VAULT_REMOTE) if this host is meant`,
        details: refusal,
      },
    );
    this.name = "EgressRefusedError";
    this.refusal = refusal;
  }

  /** Distinguishes a refusal from a network failure without instanceof across module copies. */
  get egress(): "EGRESS_REFUSED" {
    return "EGRESS_REFUSED";
  }
}

export interface EgressGuardOptions {
  allowed: readonly AllowedHost[];
  /** The fetch that actually sends (Node's undici-backed global fetch by default). */
  fetch?: typeof fetch;
  /** Called once per refused request as the fetch rejects (ledger, SRR); its work is awaited by idle(). */
  onRefused?: (refusal: EgressRefusal) => void | Promise<void>;
}

function defaultPort(protocol: string): number | undefined {
  return protocol === "https:" || protocol === "wss:"
    ? 443
    : protocol === "http:" || protocol === "ws:"
      ? 80
      : undefined;
}

/**
 * The one outbound HTTP path: every SDK and client (@notionhq/client, openai, @anthropic-ai/sdk,
 * @slack/web-api, the Teamwork client) is given `guard.fetch`, which lets a request through only to an
 * allowed host and port and refuses anything else before a socket is opened.
 */
export class EgressGuard {
  readonly #allowed: readonly AllowedHost[];
  readonly #fetch: typeof fetch;
  readonly #onRefused: ((r: EgressRefusal) => void | Promise<void>) | undefined;
  readonly #pending = new Set<Promise<void>>();
  readonly fetch: typeof fetch;

  constructor(opts: EgressGuardOptions) {
    this.#allowed = opts.allowed;
    this.#fetch = opts.fetch ?? globalThis.fetch;
    this.#onRefused = opts.onRefused;
    const guarded = (input: Parameters<typeof fetch>[0], init?: Parameters<typeof fetch>[1]) => {
      const url = new URL(input instanceof Request ? input.url : String(input));
      if (!this.allows(url)) {
        const refusal: EgressRefusal = {
          target: `${url.origin}${url.pathname}`,
          host: url.port ? `${url.hostname}:${url.port}` : url.hostname,
          method: (init?.method ?? (input instanceof Request ? input.method : "GET")).toUpperCase(),
          allowed: this.hosts(),
        };
        // Not awaited: the refusal may come from inside a heartbeat that the SRR trigger would wait for.
        // Recording it must never turn it into an allowed request, so its failure is swallowed here.
        const work = Promise.resolve()
          .then(() => this.#onRefused?.(refusal))
          .catch(() => undefined);
        this.#pending.add(work);
        void work.finally(() => this.#pending.delete(work));
        return Promise.reject(new EgressRefusedError(refusal));
      }
      return this.#fetch(input, init);
    };
    this.fetch = guarded as typeof fetch;
  }

  allows(target: string | URL): boolean {
    let url: URL;
    try {
      url = typeof target === "string" ? new URL(target) : target;
    } catch {
      return false;
    }
    const host = url.hostname.toLowerCase().replace(/^\[|\]$/g, "");
    const port = url.port === "" ? defaultPort(url.protocol) : Number(url.port);
    return this.#allowed.some((a) => {
      const hostOk = a.host.startsWith("*.") ? host.endsWith(a.host.slice(1)) : host === a.host;
      const want = a.port ?? defaultPort(url.protocol);
      const schemeOk = a.protocol === undefined || a.protocol === url.protocol;
      return hostOk && schemeOk && port === want;
    });
  }

  /** Resolves once every refusal recorded so far has been handled (ledgered, SRR applied). */
  async idle(): Promise<void> {
    while (this.#pending.size > 0) await Promise.all([...this.#pending]);
  }

  hosts(): string[] {
    return this.#allowed.map(hostLabel);
  }

  allowlist(): readonly AllowedHost[] {
    return this.#allowed;
  }
}

/** True for a refusal, so relays dead-letter it instead of retrying a request that can never pass. */
export function isEgressRefusal(err: unknown): err is EgressRefusedError {
  return (err as { egress?: unknown } | undefined)?.egress === "EGRESS_REFUSED";
}
