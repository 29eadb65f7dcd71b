// The schedules this deployment declares in code. Add new definitions to the list here.
import { defineSchedule, type ScheduleDefinition } from "./define";

/** Every 10 s, demo.echo leaves a heartbeat (local only, and stopped until someone starts it). */
export const demoHeartbeat = defineSchedule({
  name: "demo.heartbeat",
  description:
    "Local demo: demo.echo every 10 seconds. Start it with POST /api/v1/scheduled-jobs/demo.heartbeat/start.",
  method: "demo.echo",
  arguments: { heartbeat: true },
  frequency: "every",
  every_s: 10,
  overlap: "skip",
  missed: "skip",
  stopped: true,
  demo: true,
});

const schedules: readonly ScheduleDefinition[] = [demoHeartbeat];

/** The code schedules visible in this environment (demo ones only where DEMO_METHODS is "on"). */
export function codeSchedules(env: { DEMO_METHODS?: string }): readonly ScheduleDefinition[] {
  return schedules.filter((s) => !s.demo || env.DEMO_METHODS === "on");
}
