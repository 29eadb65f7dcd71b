// "Demo Numbers" (local only): any number of deterministic synthetic rows, generated lazily, for
// tests, benchmarks and trying the Power BI connector. Row i always has the same values.
import { z } from "zod";
import { sleep } from "../../shared/sleep";
import { defineReport, type Row } from "../define";

const DAY_MS = 86_400_000;
const BASE_DATE = Date.UTC(2024, 0, 1);
const DATES = Array.from({ length: 1000 }, (_, d) => new Date(BASE_DATE + d * DAY_MS).toISOString().slice(0, 10));

/** Row `i` (1-based) of Demo Numbers. */
export function demoRow(i: number): Row {
  return {
    idx: i,
    // JSON.stringify, not String(): V8 caches String(number) in its old generation (see csvField).
    label: `Item ${JSON.stringify(i).padStart(7, "0")}`,
    quantity: (i * 7) % 1000,
    ratio: ((i * 7919) % 10_000) / 100,
    amount: ((i * 104_729) % 1_000_000) / 100,
    posting_date: DATES[i % 1000],
    active: i % 3 === 0 ? 1 : 0,
  };
}

export const demoNumbers = defineReport({
  name: "Demo Numbers",
  description:
    "Synthetic rows (local only): `rows` rows with Int, Data, Float, Currency, Date and Check columns. " +
    "`fail_after` makes the job fail after that many rows; `pause_ms` pauses after every 1,000 rows.",
  demo: true,
  roles: ["Report User"],
  filters: z.strictObject({
    rows: z.number().int().min(0).max(10_000_000).default(100),
    fail_after: z.number().int().min(0).optional(),
    pause_ms: z.number().int().min(0).max(60_000).optional(),
  }),
  columns: [
    { fieldname: "idx", label: "Row", fieldtype: "Int" },
    { fieldname: "label", label: "Label", fieldtype: "Data" },
    { fieldname: "quantity", label: "Quantity", fieldtype: "Int" },
    { fieldname: "ratio", label: "Ratio", fieldtype: "Float" },
    { fieldname: "amount", label: "Amount", fieldtype: "Currency" },
    { fieldname: "posting_date", label: "Posting Date", fieldtype: "Date" },
    { fieldname: "active", label: "Active", fieldtype: "Check" },
  ],
  async *run(filters, ctx) {
    ctx.progress({ total: filters.rows });
    for (let i = 1; i <= filters.rows; i++) {
      if (filters.fail_after !== undefined && i > filters.fail_after) {
        throw new Error(`Demo Numbers failed after ${filters.fail_after} rows, as asked (fail_after)`);
      }
      yield demoRow(i);
      if (filters.pause_ms !== undefined && i % 1000 === 0) await sleep(filters.pause_ms, ctx.signal);
    }
  },
});
