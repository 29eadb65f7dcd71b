// Unit tests of the report building blocks: filter normalisation, row and CSV encoding, and the
// R2 writer/reader round trip, including the multipart path and an aborted write.
import { env } from "cloudflare:workers";
import { describe, expect, it, vi } from "vitest";
import { defineReport } from "../src/reports/define";
import type { Column } from "../src/shared/report-column";
import { filtersFromArgs } from "../src/reports/filters";
import { canonicalJson } from "../src/shared/json";
import { pulled } from "../src/reports/output";
import { csvField, jsonArray, resultBody } from "../src/reports/reader";
import { PART_BYTES, rowLine, writeRows } from "../src/reports/writer";
import { reportMethod } from "../src/reports/run";
import { z } from "zod";

const text = (stream: ReadableStream<Uint8Array>) => new Response(stream).text();

describe("filters", () => {
  it("canonical JSON sorts keys at every level, so equal filters give equal text", () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 2 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [2, { y: 2, z: 1 }] }, b: 1 }),
    );
    expect(canonicalJson({ b: 1, a: 2 })).toBe('{"a":2,"b":1}');
  });

  const typed = defineReport({
    name: "Typed",
    filters: z.strictObject({
      rows: z.number().int().optional(),
      ratio: z.number().optional(),
      active: z.boolean().optional(),
      label: z.string().optional(),
      from_date: z.string().optional(),
    }),
    columns: [],
    run: () => [],
  });

  it("cache-busters, cmd, api_key and report_name are not filters; a JSON `filters` parameter is merged", () => {
    expect(
      filtersFromArgs(typed, {
        report_name: "X",
        _ts: "1",
        _attempt: "2",
        _: "3",
        cmd: "frappe.x",
        api_key: "k:s",
        rows: "5",
        filters: '{"from_date":"2026-01-01"}',
      }),
    ).toEqual({ rows: 5, from_date: "2026-01-01" });
  });

  it("query-string text becomes the number or boolean a filter expects, exactly; other text stays text", () => {
    expect(filtersFromArgs(typed, { rows: "7", ratio: "-0.5e1", active: "1", label: "7" })).toEqual({
      rows: 7,
      ratio: -5,
      active: true,
      label: "7",
    });
    expect(filtersFromArgs(typed, { active: "false", rows: "" })).toEqual({ active: false, rows: "" });
    // Not numbers: left as text, for the schema to refuse with a clear message.
    for (const text of ["", " ", "7x", "0x10", "1e", "Infinity", "--1", "07"]) {
      expect(filtersFromArgs(typed, { rows: text }).rows).toBe(text);
      expect(typed.filters.safeParse(filtersFromArgs(typed, { rows: text })).success).toBe(false);
    }
  });
});

describe("encoding", () => {
  const columns: Column[] = [
    { fieldname: "n", label: "N", fieldtype: "Int" },
    { fieldname: "d", label: "D", fieldtype: "Date" },
    { fieldname: "t", label: "T", fieldtype: "Datetime" },
    { fieldname: "ok", label: "OK", fieldtype: "Check" },
    { fieldname: "s", label: "S", fieldtype: "Data" },
  ];
  const keys = columns.map((c) => `${JSON.stringify(c.fieldname)}:`);

  it("a row line has the columns' keys in order, Frappe date texts, 0/1 checks and null for missing values", () => {
    const when = new Date(Date.UTC(2026, 1, 3, 4, 5, 6));
    expect(rowLine({ s: "x", ok: true, t: when, d: when, n: 7, extra: 1 }, columns, keys)).toBe(
      '{"n":7,"d":"2026-02-03","t":"2026-02-03 04:05:06","ok":1,"s":"x"}',
    );
    expect(rowLine({}, columns, keys)).toBe('{"n":null,"d":null,"t":null,"ok":null,"s":null}');
  });

  it("CSV fields are quoted only when they must be", () => {
    expect(csvField("plain")).toBe("plain");
    expect(csvField('say "hi", ok')).toBe('"say ""hi"", ok"');
    expect(csvField("two\nlines")).toBe('"two\nlines"');
    expect(csvField(" edge")).toBe('" edge"');
    expect(csvField(null)).toBe("");
    expect(csvField(1.5)).toBe("1.5");
  });

  it("NDJSON lines join into a JSON array however the bytes are split into chunks", async () => {
    const bytes = new TextEncoder().encode('{"a":1}\n{"a":"é"}\n{"a":3}\n');
    for (let i = 0; i <= bytes.length; i++) {
      for (let j = i; j <= bytes.length; j++) {
        const chunks = [bytes.subarray(0, i), bytes.subarray(i, j), bytes.subarray(j)];
        const stream = new ReadableStream<Uint8Array>({
          start(controller) {
            for (const chunk of chunks) controller.enqueue(chunk);
            controller.close();
          },
        });
        const out = await text(pulled(stream, jsonArray("[", "]")));
        expect(out, `split at ${i}, ${j}`).toBe('[{"a":1},\n{"a":"é"},\n{"a":3}]');
        expect(JSON.parse(out)).toHaveLength(3);
      }
    }
  });

  it("defineReport refuses duplicate labels", () => {
    expect(() =>
      defineReport({
        name: "Dup",
        filters: z.object({}),
        columns: [
          { fieldname: "a", label: "Same", fieldtype: "Data" },
          { fieldname: "b", label: "Same", fieldtype: "Data" },
        ],
        run: () => [],
      }),
    ).toThrow(/duplicate column label/);
  });
});

describe("R2 round trip", () => {
  const columns: Column[] = [
    { fieldname: "i", label: "I", fieldtype: "Int" },
    { fieldname: "noise", label: "Noise", fieldtype: "Data" },
  ];
  /** Rows whose hex noise barely compresses, so 160,000 of them need more than one 5 MiB part. */
  function* noisyRows(n: number) {
    const bytes = new Uint8Array(32);
    for (let i = 1; i <= n; i++) {
      crypto.getRandomValues(bytes);
      yield { i, noise: Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("") };
    }
  }

  it("a result larger than one part is stored as a multipart upload and reads back row for row", async () => {
    const key = `test/${crypto.randomUUID()}.ndjson.gz`;
    const counts: number[] = [];
    const written = await writeRows(env.RESULTS, key, columns, noisyRows(160_000), {
      signal: new AbortController().signal,
      onRows: (n) => counts.push(n),
    });
    expect(written.rowCount).toBe(160_000);
    expect(written.bytes).toBeGreaterThan(PART_BYTES);
    expect(counts.at(-1)).toBe(160_000);
    const object = await env.RESULTS.get(key);
    expect(object?.size).toBe(written.bytes);
    const csv = await text(resultBody(object?.body as ReadableStream<Uint8Array>, columns, "csv"));
    const lines = csv.trimEnd().split("\r\n");
    expect(lines).toHaveLength(160_001);
    expect(lines[160_000]).toMatch(/^160000,[0-9a-f]{64}$/);
  });

  it("the writer never builds a text chunk V8 would put straight into its old generation (> 128 KB)", async () => {
    // A string over 128 KB skips the young generation and stays until a full collection: 256 KB
    // chunks made a 1M-row job's heap climb (docs/benchmarks.md). Every chunk is encoded once.
    const encode = vi.spyOn(TextEncoder.prototype, "encode");
    try {
      const key = `test/${crypto.randomUUID()}.ndjson.gz`;
      const written = await writeRows(env.RESULTS, key, columns, noisyRows(20_000), {
        signal: new AbortController().signal,
      });
      expect(written.rowCount).toBe(20_000);
      const sizes = encode.mock.calls.map(([input]) => (input ?? "").length);
      expect(
        sizes.reduce((a, b) => a + b, 0),
        "every row went through encode",
      ).toBeGreaterThan(20_000 * 80);
      expect(Math.max(...sizes)).toBeLessThanOrEqual(64 * 1024);
    } finally {
      encode.mockRestore();
    }
  });

  it("a format reads the stored result only as its reader asks (no read-ahead, one merged chunk per read)", async () => {
    let pulls = 0;
    const line = new TextEncoder().encode(`${JSON.stringify({ i: 1, noise: "x".repeat(4000) })}\n`);
    const source = new ReadableStream<Uint8Array>(
      {
        pull(controller) {
          pulls++;
          controller.enqueue(line);
        },
      },
      { highWaterMark: 0 },
    );
    const reader = pulled(source, jsonArray("[", "]")).getReader();
    const first = await reader.read();
    expect(first.value?.byteLength).toBeGreaterThanOrEqual(64 * 1024);
    const afterFirst = pulls;
    expect(afterFirst).toBeLessThanOrEqual(Math.ceil((64 * 1024) / line.byteLength) + 1);
    // Nothing more is read until the next read.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(pulls).toBe(afterFirst);
    await reader.cancel();
  });

  it("CSV converts rows of any length, short and far longer than a parsing batch, in order", async () => {
    const rows = [1, 20_000, 3, 50_000, 5].map((n, i) => ({ i, noise: "n".repeat(n) }));
    const ndjson = rows.map((r) => JSON.stringify(r)).join("\n") + "\n";
    const gzip = new Blob([ndjson]).stream().pipeThrough(new CompressionStream("gzip"));
    const csv = await text(resultBody(gzip, columns, "csv"));
    expect(csv.split("\r\n")).toEqual(["I,Noise", ...rows.map((r) => `${r.i},${r.noise}`), ""]);
  });

  it("an empty result is a valid JSON envelope with no rows", async () => {
    const key = `test/${crypto.randomUUID()}.ndjson.gz`;
    await writeRows(env.RESULTS, key, columns, [], { signal: new AbortController().signal });
    const object = await env.RESULTS.get(key);
    const body = JSON.parse(await text(resultBody(object?.body as ReadableStream<Uint8Array>, columns, "json")));
    expect(body.message.result).toEqual([]);
    expect(body.message.columns.map((c: any) => c.fieldname)).toEqual(["i", "noise"]);
  });

  it("an aborted write (mid multipart upload) stores nothing and rethrows the signal's reason", async () => {
    const key = `test/${crypto.randomUUID()}.ndjson.gz`;
    const controller = new AbortController();
    function* rows() {
      // Past the first 5 MiB part, so a multipart upload is under way when the signal fires.
      yield* noisyRows(170_000);
      controller.abort(new Error("stop"));
      yield* noisyRows(10_000);
    }
    await expect(writeRows(env.RESULTS, key, columns, rows(), { signal: controller.signal })).rejects.toThrow("stop");
    expect(await env.RESULTS.head(key)).toBeNull();
  });
});

describe("a report job's progress", () => {
  it("progress the platform refuses (nonsense values) is logged, never an unhandled rejection, and the job completes", async () => {
    const jobId = `job-${crypto.randomUUID()}`;
    await env.DB.prepare(
      "INSERT INTO report_jobs (job_id, report, owner, filters, filters_hash, created_at, expires_at) VALUES (?, 'Odd', 'x', '{}', 'h', 0, 9e15)",
    )
      .bind(jobId)
      .run();
    const odd = defineReport({
      name: "Odd",
      filters: z.strictObject({}),
      columns: [{ fieldname: "n", label: "N", fieldtype: "Int" }],
      *run(_filters, ctx) {
        ctx.progress({ count: -1 });
        yield { n: 1 };
      },
    });
    const refused: unknown[] = [];
    const ctx = {
      name: jobId,
      owner: "x",
      attempt: 1,
      signal: new AbortController().signal,
      env,
      task: {
        name: jobId,
        method: "report:Odd",
        jobName: "Odd",
        queue: "long" as const,
        timeout: 60,
        batchId: null,
        retryCount: 0,
      },
      progress: (p: unknown) => {
        refused.push(p);
        return Promise.reject(new TypeError("progress.count must be a non-negative finite number"));
      },
      log: () => {},
      trace: null,
    };
    const result = await reportMethod(odd).run({ filters: {} }, ctx, null);
    expect(result).toEqual({ row_count: 1, bytes: expect.any(Number) });
    expect(refused.length).toBeGreaterThanOrEqual(1);
    // Let any stray rejection surface before the test ends (vitest fails the run on one).
    await new Promise((resolve) => setTimeout(resolve, 10));
  });
});
