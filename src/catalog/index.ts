// The catalogue of every method this deployment runs: the task definitions and document types
// registered in code, and one `report:<name>` method per prepared report. Add new task
// definitions to the lists here.
import { demoCount, demoEcho, demoFail, demoInvoice, demoItems, demoMark, demoNoop, demoSleep } from "../methods/demo";
import { demoCustomer } from "../methods/demo-flow";
import { reportMethods } from "../reports/registry";
import { Registry, type DocTypeDefinition, type TaskDefinition } from "../methods/registry";

// TaskDefinition<S> is contravariant in S (run takes z.output<S>), so a list of differently typed
// definitions needs the widening; the registry parses arguments with each one's own schema.
const tasks: TaskDefinition[] = [
  demoSleep,
  demoFail,
  demoCount,
  demoEcho,
  demoMark,
  demoNoop,
  demoItems,
  demoCustomer,
] as TaskDefinition[];
const doctypes: DocTypeDefinition[] = [demoInvoice] as DocTypeDefinition[];

/** The one registry instance (the allow-list of enqueueable methods). */
export const registry = new Registry(tasks, doctypes);
// Prepared reports run as tasks: one `report:<name>` method per registered report.
for (const method of reportMethods) registry.add(method);
