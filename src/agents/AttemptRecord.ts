/**
 * One call to one provider, ok or not, and why it failed: the shapes AGENT_ATTEMPT records, defined once
 * in the ledger's event catalogue (which also says what the hub does with each error class).
 */
export type { AttemptRecord, ErrorClass } from "../ledger/events.ts";
