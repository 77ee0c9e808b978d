import { benchLedger } from "../../src/ledger/benchLedger.ts";
console.log(JSON.stringify(await benchLedger()));
