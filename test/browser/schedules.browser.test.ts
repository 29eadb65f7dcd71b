// Scheduled jobs in Chromium: the list (timing in words, next run in the schedule's zone, last run
// status, on/stopped, code or API), the detail with its runs and their tasks, and create / edit /
// pause / resume / run now / delete through the form and confirmation dialogs; the Overview's
// overdue tile. Every wait is on a condition.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { api, createKey, launch, newPage, screenshot, signIn } from "./browser";

let browser: Browser;
let close: (() => Promise<void>) | undefined;
beforeAll(async () => ({ browser, close } = await launch()));
afterAll(async () => close?.());

const tag = () => Math.random().toString(36).slice(2, 8);

describe("scheduled jobs", () => {
  it("lists API and code schedules with their timing, next run, last run status and state", async () => {
    const name = `nightly-${tag()}`;
    const created = await api("POST", "/api/v1/scheduled-jobs", {
      name,
      description: "Nightly echo",
      method: "demo.echo",
      arguments: { report: "nightly" },
      frequency: "cron",
      cron: "30 2 * * *",
      timezone: "Europe/Berlin",
    });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const run = await api<{ task: string }>("POST", `/api/v1/scheduled-jobs/${name}/run`);
    expect(run.status).toBe(201);
    await expect.poll(async () => (await api("GET", `/api/v1/tasks/${run.body.task}`)).body.status).toBe("Finished");

    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/scheduled-jobs");
    const row = page.locator(`tr[data-schedule="${name}"]`);
    await row.waitFor();
    expect(await row.textContent()).toContain("demo.echo");
    expect(await row.textContent()).toContain("Europe/Berlin");
    expect(await row.textContent()).toMatch(/02:30/); // the timing in words
    expect(await row.getByTestId("next-run").textContent()).toMatch(/02:30:00 \+0[12]:00/);
    expect(await row.getByTestId("state").textContent()).toBe("Started");
    expect(await row.locator("td").nth(6).textContent()).toBe("API");
    // The last run's task status, linked to the task.
    await expect.poll(() => row.getByTestId("last-run").locator(".pill").textContent()).toBe("Finished");
    expect(await row.getByTestId("last-run").getByRole("link").getAttribute("href")).toBe(`#/tasks/${run.body.task}`);

    // The local demo schedule is defined in code and starts stopped.
    const code = page.locator('tr[data-schedule="demo.heartbeat"]');
    await code.waitFor();
    expect(await code.locator("td").nth(6).textContent()).toBe("code");
    expect(await code.getByTestId("state").textContent()).toBe("Stopped");
    await screenshot(page, "scheduled-jobs");
    expect(problems).toEqual([]);
    await context.close();
    expect((await api("DELETE", `/api/v1/scheduled-jobs/${name}`)).status).toBe(204);
  });

  it("creates, stops, starts, runs now, edits and deletes a schedule — each change after confirming", async () => {
    const name = `console-${tag()}`;
    // A viewer in New York: next runs show in the schedule's zone (Berlin) and in the viewer's.
    const { page, context, problems } = await newPage(browser, undefined, "America/New_York");
    await signIn(page, undefined, "/ui/#/scheduled-jobs");
    await page.getByRole("link", { name: "New schedule" }).click();
    const form = page.getByRole("form", { name: "New scheduled job" });
    await form.getByLabel("Name").fill(name);
    await form.getByLabel("Description").fill("made in the console");
    await form.getByLabel("Method").fill("demo.echo");
    await form.getByLabel("Arguments (JSON object)").fill('{"hello": "console"}');
    await form.getByLabel("Frequency").selectOption("cron");
    await form.getByLabel("Cron (5 or 6 fields)").fill("0 4 * * *");
    await form.getByLabel("Time zone").fill("Europe/Berlin");
    // The form previews what it would schedule before anything is saved.
    await expect.poll(() => page.getByTestId("preview-runs").locator("li").count()).toBe(10);
    await screenshot(page, "scheduled-job-form");
    await form.getByRole("button", { name: "Create schedule" }).click();

    // The detail page of the new schedule, with its next runs in Berlin time.
    await page.getByRole("heading", { name, exact: true }).waitFor();
    const made = (await api("GET", `/api/v1/scheduled-jobs/${name}`)).body;
    expect(made).toMatchObject({
      source: "api",
      method: "demo.echo",
      arguments: { hello: "console" },
      frequency: "cron",
      cron: "0 4 * * *",
      timezone: "Europe/Berlin",
      stopped: false,
    });
    await page.getByText(/Next \d+ runs/).click();
    const nextRuns = page.getByTestId("next-runs").locator("li").first();
    expect(await nextRuns.textContent()).toMatch(/04:00:00 \+0[12]:00/);
    // 04:00 in Berlin is 22:00 the evening before in New York (both zones shift on different dates,
    // but Berlin is always six hours ahead of New York except for a few weeks a year, when it is five).
    expect(await nextRuns.textContent()).toMatch(/, (10|11):00:00 PM \(America\/New_York\)/);

    // Stop: going back changes nothing; confirming stops it with the note.
    await page.getByRole("button", { name: "Stop…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Go back" }).click();
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).body.stopped).toBe(false);
    await page.getByRole("button", { name: "Stop…" }).click();
    await page.getByRole("dialog").getByLabel("Note (optional)").fill("maintenance window");
    await page.getByRole("dialog").getByRole("button", { name: "Stop schedule" }).click();
    await page.getByRole("button", { name: "Start…" }).waitFor();
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).body).toMatchObject({
      stopped: true,
      stop_note: "maintenance window",
    });
    await page.getByText(/maintenance window/).waitFor();

    await page.getByRole("button", { name: "Start…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Start schedule" }).click();
    await page.getByRole("button", { name: "Stop…" }).waitFor();
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).body.stopped).toBe(false);

    // Run now: the run shows up in the log with its task, which runs to Finished.
    await page.getByRole("button", { name: "Run now…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Run now" }).click();
    const notice = page.getByRole("status").filter({ hasText: "Run enqueued as task" });
    await notice.waitFor();
    const task = /task (\w+)/.exec((await notice.textContent()) ?? "")?.[1] ?? "";
    // The task's name in the notice is a link to it, as in the run log below.
    await notice.getByRole("link", { name: task }).waitFor();
    const runRow = page.getByTestId("runs").locator(`tr[data-task="${task}"]`);
    await runRow.waitFor();
    expect(await runRow.getAttribute("data-outcome")).toBe("manual");
    await expect.poll(() => runRow.locator(".pill").textContent()).toBe("Finished");
    await screenshot(page, "scheduled-job");
    await runRow.getByRole("link", { name: task }).click();
    // The run's task page (its job name is the schedule's name).
    await page.locator(".crumbs").getByText(task).waitFor();
    expect(page.url()).toContain(`#/tasks/${task}`);
    expect((await api("GET", `/api/v1/tasks/${task}`)).body).toMatchObject({ scheduled_job: name });
    await page.goBack();

    // Edit: the form starts from the stored definition; saving asks first.
    await page.getByRole("link", { name: "Edit" }).click();
    const edit = page.getByRole("form", { name: `Edit ${name}` });
    expect(await edit.getByLabel("Cron (5 or 6 fields)").inputValue()).toBe("0 4 * * *");
    await edit.getByLabel("Cron (5 or 6 fields)").fill("30 5 * * 1-5");
    await edit.getByRole("button", { name: "Save changes…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("heading", { name, exact: true }).waitFor();
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).body).toMatchObject({
      cron: "30 5 * * 1-5",
      description: "made in the console",
      counters: { runs: 1 },
    });

    // A bad definition is refused by the server, which names the field; nothing changes.
    await page.getByRole("link", { name: "Edit" }).click();
    await edit.getByLabel("Cron (5 or 6 fields)").fill("not a cron");
    await edit.getByRole("button", { name: "Save changes…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Save changes" }).click();
    await page.getByRole("alert").filter({ hasText: /cron/ }).waitFor();
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).body.cron).toBe("30 5 * * 1-5");
    // Changing the field takes the refused save's error away: it described the draft it refused.
    await edit.getByLabel("Cron (5 or 6 fields)").fill("15 5 * * *");
    await expect.poll(() => page.getByRole("alert").filter({ hasText: /cron/ }).count()).toBe(0);
    await page.getByRole("link", { name: "Discard" }).click();

    // Delete, after confirming: back to the list, and the API no longer knows it.
    await page.getByRole("button", { name: "Delete…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Delete schedule" }).click();
    await page.getByRole("heading", { name: "Scheduled jobs" }).waitFor();
    expect((await api("GET", `/api/v1/scheduled-jobs/${name}`)).status).toBe(404);
    expect(await page.locator(`tr[data-schedule="${name}"]`).count()).toBe(0);
    expect(problems).toEqual([]);
    await context.close();
  });

  it("a new schedule after an edit starts empty, and runs a remote method typed by its full name", async () => {
    const edited = `edited-${tag()}`;
    const made = await api("POST", "/api/v1/scheduled-jobs", {
      name: edited,
      method: "demo.echo",
      frequency: "daily",
      timezone: "Asia/Kolkata",
    });
    expect(made.status, JSON.stringify(made.body)).toBe(201);
    const { page, context, problems } = await newPage(browser);
    await signIn(page, undefined, `/ui/#/scheduled-jobs/${edited}/edit`);
    const edit = page.getByRole("form", { name: `Edit ${edited}` });
    await expect.poll(() => edit.getByLabel("Time zone").inputValue()).toBe("Asia/Kolkata");
    // Straight from the edit form to a new one (the same page component): nothing carries over.
    await page.evaluate(() => (location.hash = "#/scheduled-jobs/+new"));
    const form = page.getByRole("form", { name: "New scheduled job" });
    await form.waitFor();
    expect(await form.getByLabel("Method").inputValue()).toBe("");
    expect(await form.getByLabel("Time zone").inputValue()).not.toBe("Asia/Kolkata");

    // A remote target's pattern is not offered as a method; its methods are typed in full.
    await form.getByText(/demo-frappe:myapp\.api\.\*/).waitFor(); // the methods have loaded
    const offered = await page
      .locator("#schedule-methods option")
      .evaluateAll((os) => os.map((o) => (o as HTMLOptionElement).value));
    expect(offered).toContain("demo.echo");
    expect(offered.filter((m) => m.includes("*"))).toEqual([]);
    // An end already passed is pointed out before saving (the schedule would never run).
    await form.getByLabel("Not after (your time)").fill("2020-01-01T00:00");
    await form.getByText("“Not after” is in the past: the schedule will not run again.").waitFor();
    await form.getByLabel("Not after (your time)").fill("");
    await expect.poll(() => form.getByText("is in the past").count()).toBe(0);
    const remote = `remote-${tag()}`;
    await form.getByLabel("Name").fill(remote);
    await form.getByLabel("Method").fill("demo-frappe:myapp.api.sync_customer");
    await form.getByLabel("Arguments (JSON object)").fill('{"customer": "CUST-0001"}');
    await form.getByRole("button", { name: "Create schedule" }).click();
    await page.getByRole("heading", { name: remote, exact: true }).waitFor();
    expect((await api("GET", `/api/v1/scheduled-jobs/${remote}`)).body).toMatchObject({
      method: "demo-frappe:myapp.api.sync_customer",
      arguments: { customer: "CUST-0001" },
    });
    expect(problems).toEqual([]);
    await context.close();
    for (const n of [edited, remote]) expect((await api("DELETE", `/api/v1/scheduled-jobs/${n}`)).status).toBe(204);
  });

  it("a code schedule can be stopped and started but not edited or deleted", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/scheduled-jobs/demo.heartbeat");
    await page.getByRole("heading", { name: "demo.heartbeat" }).waitFor();
    await page.getByText(/Defined in code/).waitFor();
    const actions = page.getByRole("group", { name: "Schedule actions" });
    expect(await actions.getByRole("link", { name: "Edit" }).count()).toBe(0);
    expect(await actions.getByRole("button", { name: "Delete…" }).count()).toBe(0);
    await actions.getByRole("button", { name: "Start…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Start schedule" }).click();
    await actions.getByRole("button", { name: "Stop…" }).waitFor();
    expect((await api("GET", "/api/v1/scheduled-jobs/demo.heartbeat")).body.stopped).toBe(false);
    await actions.getByRole("button", { name: "Stop…" }).click();
    await page.getByRole("dialog").getByRole("button", { name: "Stop schedule" }).click();
    await actions.getByRole("button", { name: "Start…" }).waitFor();
    expect((await api("GET", "/api/v1/scheduled-jobs/demo.heartbeat")).body.stopped).toBe(true);
    await context.close();
  });

  it("a Task User sees only their own schedules", async () => {
    const key = await createKey(`sched-user-${tag()}`, ["Task User"]);
    const own = `mine-${tag()}`;
    const res = await api(
      "POST",
      "/api/v1/scheduled-jobs",
      { name: own, method: "demo.echo", frequency: "daily", timezone: "UTC" },
      key,
    );
    expect(res.status, JSON.stringify(res.body)).toBe(201);
    const { page, context } = await newPage(browser);
    await signIn(page, key, "/ui/#/scheduled-jobs");
    await page.locator(`tr[data-schedule="${own}"]`).waitFor();
    expect(await page.locator('tr[data-schedule="demo.heartbeat"]').count()).toBe(0);
    expect(await page.locator("tbody tr").count()).toBe(1);
    await context.close();
    expect((await api("DELETE", `/api/v1/scheduled-jobs/${own}`, undefined, key)).status).toBe(204);
  });
});

describe("overview", () => {
  it("the Overdue schedules tile shows the ops summary's overdue schedules", async () => {
    const { page, context } = await newPage(browser);
    await signIn(page, undefined, "/ui/#/overview");
    const tile = page.getByTestId("overdue-schedules");
    const ops = (await api("GET", "/api/v1/ops")).body;
    await expect.poll(() => tile.locator("strong").textContent()).toBe(String(ops.overdue_schedules.length));
    expect(await tile.getAttribute("href")).toBe("#/scheduled-jobs");

    // The same page when the summary lists overdue schedules (answered by the test, since making a
    // timer really fall a minute behind would take a real minute).
    await page.route("**/api/v1/ops", async (route) => {
      const response = await route.fetch();
      const body = await response.json();
      body.overdue_schedules = [
        { name: "late-one", owner: "Administrator", due_at: new Date().toISOString(), late_s: 95 },
        { name: "late-two", owner: "ana", due_at: new Date().toISOString(), late_s: 300 },
      ];
      await route.fulfill({ response, json: body });
    });
    await page.reload();
    await expect.poll(() => tile.locator("strong").textContent()).toBe("2");
    expect(await tile.getAttribute("class")).toContain("tile-bad");
    expect(await tile.getAttribute("title")).toContain("late-one");
    await context.close();
  });
});
