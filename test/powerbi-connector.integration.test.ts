// The Power Query connector: it parses with Microsoft's M parser, and the server answers exactly the
// requests it makes (derived from its source) — and the request sequence of Frappe's own docs.
import { describe, expect, it } from "vitest";
import { demoRow } from "../src/reports/builtin/demo-numbers";
import { FieldType } from "../src/shared/report-column";
import { call, createKey } from "./helpers";
import { connectorPlan, connectorSource, parseConnector, type ConnectorPlan } from "./powerbi-connector";

const qs = (params: Record<string, string | number>) =>
  new URLSearchParams(Object.entries(params).map(([k, v]) => [k, String(v)])).toString();

/** A Power Query-style time stamp cache-buster (yyyyMMddHHmmssfff). */
const stamp = () => new Date().toISOString().replace(/\D/g, "").slice(0, 17);

/** Fills the connector's parameter names with values, in the connector's order. */
function fill(names: string[], values: Record<string, string | number>): Record<string, string | number> {
  return Object.fromEntries(
    names.map((name) => {
      const value = values[name];
      if (value === undefined) throw new Error(`no value for the connector's parameter ${name}`);
      return [name, value];
    }),
  );
}

/**
 * Replays the connector against the server: start_job with the filters, check_status until 1
 * (attempt 1, 2, …), then get_result. `auth` adds the credential the way Power Query would.
 */
async function replay(
  plan: ConnectorPlan,
  reportName: string,
  filters: Record<string, string>,
  auth: { query?: Record<string, string>; headers?: Record<string, string> },
) {
  // Query = query & [_ts, _attempt], plus the Web API credential's parameter when that is used.
  const send = (
    request: { path: string; query: string[] },
    values: Record<string, string | number>,
    attempt: number,
    extra: Record<string, string> = {},
  ) => {
    const busters = fill(plan.cacheBusters, { _ts: stamp(), _attempt: attempt });
    const query = { ...fill(request.query, values), ...extra, ...busters, ...auth.query };
    return call(`/${request.path}?${qs(query)}`, { key: null, headers: auth.headers });
  };
  // Filters ride along with report_name ([report_name = reportName] & FilterQuery in the connector).
  const started = await send(plan.startJob, { report_name: reportName }, 0, filters);
  expect(started.status, JSON.stringify(started.body)).toBe(200);
  const jobId = started.body.message as string;
  const polls: number[] = [];
  for (let attempt = 1; attempt <= 20; attempt++) {
    const res = await send(plan.checkStatus, { job_id: jobId, attempts: plan.attempts, sleep: plan.sleep }, attempt);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    polls.push(res.body.message as number);
    if (res.body.message === 1) break;
  }
  expect(polls.at(-1)).toBe(1);
  const result = await send(plan.getResult, { job_id: jobId }, 0);
  return { jobId, polls, result };
}

describe("the Power Query connector", () => {
  it("parses with @microsoft/powerquery-parser, and a broken copy does not", async () => {
    await expect(parseConnector()).resolves.toBeTypeOf("object");
    await expect(
      parseConnector(connectorSource.replace("in\n    SwitchyardReport", "in\n    SwitchyardReport (")),
    ).rejects.toThrow(/does not parse/);
  });

  it("makes the three long-polling calls with cache-busters, a static base URL and both credential styles", async () => {
    const plan = connectorPlan(await parseConnector());
    expect(plan.startJob.path).toBe("api/method/tweaks.utils.report_long_polling.start_job");
    expect(plan.checkStatus.path).toBe("api/method/tweaks.utils.report_long_polling.check_status");
    expect(plan.getResult.path).toBe("api/method/tweaks.utils.report_long_polling.get_result");
    expect(plan.startJob.query).toEqual(["report_name"]);
    expect(plan.checkStatus.query).toEqual(["job_id", "attempts", "sleep"]);
    expect(plan.getResult.query).toEqual(["job_id"]);
    expect(plan.cacheBusters).toEqual(["_ts", "_attempt"]);
    expect(plan.apiKeyName).toBe("api_key");
    expect(plan.authorizationScheme).toBe("token");
    // The server's wait per check_status stays under its 25 s cap and Power Query's 100 s timeout.
    expect((plan.attempts - 1) * plan.sleep).toBeLessThanOrEqual(25);
    // Every error status the report API answers is read by the connector, so users see the message.
    for (const status of [400, 401, 403, 404, 409, 410]) expect(plan.manualStatuses).toContain(status);
    // Every numeric, date and check fieldtype gets a Power Query type.
    for (const type of ["Int", "Float", "Currency", "Percent", "Duration", "Date", "Datetime", "Time", "Check"]) {
      expect(plan.typedFieldtypes).toContain(type);
      expect(Object.values(FieldType)).toContain(type);
    }
  });

  it("replayed with the Web API credential (?api_key=), the server returns every row with typed columns", async () => {
    const plan = connectorPlan(await parseConnector());
    const key = await createKey(`powerbi-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const { result } = await replay(plan, "Demo Numbers", { rows: "300" }, { query: { [plan.apiKeyName]: key } });
    expect(result.status).toBe(200);
    const { columns, result: rows } = result.body.message;
    expect(rows).toHaveLength(300);
    expect(rows[299]).toEqual(demoRow(300));
    for (const column of columns) {
      if (["Int", "Float", "Currency", "Date", "Check"].includes(column.fieldtype)) {
        expect(plan.typedFieldtypes).toContain(column.fieldtype);
      }
    }
  });

  it("replayed with the Authorization header, it works the same; a wrong key is a 401 the connector reads", async () => {
    const plan = connectorPlan(await parseConnector());
    const key = await createKey(`powerbi-h-${crypto.randomUUID().slice(0, 8)}`, ["Report User"]);
    const headers = { authorization: `${plan.authorizationScheme} ${key}` };
    const { result } = await replay(plan, "Demo Numbers", { rows: "12" }, { headers });
    expect(result.status).toBe(200);
    expect(result.body.message.result).toHaveLength(12);

    const denied = await call(
      `/${plan.startJob.path}?${qs({ report_name: "Demo Numbers", api_key: "nobody:wrong" })}`,
      {
        key: null,
      },
    );
    expect(plan.manualStatuses).toContain(denied.status);
    expect(denied.body.exc_type).toBe("AuthenticationError");
  });

  it("an unknown report fails the connector at start_job with a status it reads and a Frappe message", async () => {
    const plan = connectorPlan(await parseConnector());
    const res = await call(
      `/${plan.startJob.path}?${qs({ report_name: "Missing Report", _ts: stamp(), _attempt: 0 })}`,
    );
    expect(res.status).toBe(404);
    expect(plan.manualStatuses).toContain(404);
    expect(res.body).toMatchObject({ exc_type: "DoesNotExistError" });
    expect(res.body.message).toContain("Missing Report");
  });
});

describe("the request sequence of Frappe's report_long_polling docs", () => {
  it("start_job → check_status?attempts=2&sleep=1 repeated with cache-busters (0 … 1) → get_result", async () => {
    const M = "/api/method/tweaks.utils.report_long_polling";
    // About 2.4 s of work: longer than one check_status wait of (2 − 1) × 1 s.
    const start = await call(`${M}.start_job?${qs({ report_name: "Demo Numbers", rows: 3000, pause_ms: 800 })}`);
    expect(start.status).toBe(200);
    const jobId = start.body.message;
    const answers: number[] = [];
    for (let i = 0; i < 30 && answers.at(-1) !== 1; i++) {
      const res = await call(
        `${M}.check_status?${qs({ job_id: jobId, attempts: 2, sleep: 1, _ts: Date.now(), _: i })}`,
      );
      expect(res.status).toBe(200);
      answers.push(res.body.message);
    }
    expect(answers[0]).toBe(0);
    expect(answers.at(-1)).toBe(1);
    const res = await call(`${M}.get_result?${qs({ job_id: jobId, _ts: Date.now() })}`);
    expect(res.status).toBe(200);
    expect(res.body.message.result).toHaveLength(3000);
    expect(res.body.message.columns[0]).toEqual({ fieldname: "idx", label: "Row", fieldtype: "Int" });
  });

  it("start_job also takes a POST form body, as Frappe's whitelisted methods do", async () => {
    const res = await call("/api/method/tweaks.utils.report_long_polling.start_job", {
      rawBody: qs({ report_name: "Demo Numbers", rows: "2" }),
      headers: { "content-type": "application/x-www-form-urlencoded" },
    });
    expect(res.status).toBe(200);
    expect(res.body.message).toMatch(/^[0-9A-Z]{26}[0-9A-Z]{5,12}$/);
  });
});
