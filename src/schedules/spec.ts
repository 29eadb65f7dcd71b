// What a schedule is asked to be: the schedule spec of the API's contract (src/contract/schedules.ts);
// definition.ts turns it into a stored definition.
import type { z } from "zod";
import { ScheduleSpec } from "../contract/schedules";

export { ScheduleSpec };
export type ScheduleSpec = z.output<typeof ScheduleSpec>;
