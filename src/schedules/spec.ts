// What a schedule is asked to be: the schedule spec of the API's contract (src/contract/schedules.ts);
// definition.ts turns it into a stored definition.
import type { z } from "zod";
import { SCHEDULE_NAME, ScheduleSpec } from "../contract/schedules";

export { SCHEDULE_NAME, ScheduleSpec };
export type ScheduleSpec = z.output<typeof ScheduleSpec>;
