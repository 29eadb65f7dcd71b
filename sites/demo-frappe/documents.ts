// frappe.handler.run_doc_method for the site's one DocType, Sales Invoice (docstatus kept in memory).
import type { PyFunction } from "./dispatch";
import { isWhitelisted } from "./dispatch";
import { CALL_FRAMES, Exc, FrappeException, REQUEST_FRAMES, pyType } from "./frappe";
import type { ExceptionClass, Frame, FrappeLocal } from "./frappe";

const DOCTYPE = "Sales Invoice";
/** ERPNext's default naming series for Sales Invoice (ACC-SINV-.YYYY.-), with amendments (-1, -2…). */
const INVOICE_NAME = /^ACC-SINV-\d{4}-\d{5}(?:-\d+)?$/;
const CONTROLLER_MODULE = "erpnext.accounts.doctype.sales_invoice.sales_invoice";

/** 0 draft, 1 submitted, 2 cancelled; an invoice never touched is a draft. */
const docstatus = new Map<string, 0 | 1 | 2>();

const RUN_DOC_FRAMES: readonly Frame[] = [...REQUEST_FRAMES, ...CALL_FRAMES];
const frame = (line: number, fn: string, code: string): Frame => ["apps/frappe/frappe/handler.py", line, fn, code];

/** frappe.parse_json: the value, or the text itself when it is not JSON. */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** The document as `as_dict(no_nulls=True)` serialises it (a small but real-shaped subset). */
function invoiceDict(name: string, status: 0 | 1 | 2, user: string): Record<string, unknown> {
  const now = new Date().toISOString().replace("T", " ").replace("Z", "000");
  return {
    name,
    owner: user,
    creation: "2025-01-06 09:30:00.000000",
    modified: now,
    modified_by: user,
    docstatus: status,
    idx: 0,
    naming_series: "ACC-SINV-.YYYY.-",
    customer: "Demo Customer",
    company: "Demo Company",
    posting_date: "2025-01-06",
    currency: "USD",
    grand_total: 100.0,
    status: ["Draft", "Unpaid", "Cancelled"][status],
    doctype: DOCTYPE,
  };
}

/**
 * frappe.get_doc(dt, dn). An unknown DocType is not a DoesNotExistError in Frappe: import_controller
 * falls back to module "Core" and load_doctype_module raises ImportError (500). A missing document
 * of a known DocType is DoesNotExistError (404), "<DocType> <name> not found".
 */
function getDoc(local: FrappeLocal, dt: string, dn: string): string {
  if (dt !== DOCTYPE) {
    const scrubbed = dt.replace(/[ -]/g, "_").toLowerCase();
    throw new FrappeException(
      Exc.ImportError,
      `Module import failed for ${dt}, the DocType you're trying to open might be deleted.\n` +
        `Error: No module named 'frappe.core.doctype.${scrubbed}'`,
      [
        ...RUN_DOC_FRAMES,
        frame(316, "run_doc_method", "doc = frappe.get_doc(dt, dn)"),
        [
          "apps/frappe/frappe/model/base_document.py",
          82,
          "import_controller",
          "module = load_doctype_module(doctype, module_name)",
        ],
        ["apps/frappe/frappe/modules/utils.py", 257, "load_doctype_module", "raise ImportError(msg) from e"],
      ],
    );
  }
  if (!INVOICE_NAME.test(dn)) {
    local.throw(`${DOCTYPE} ${dn} not found`, Exc.DoesNotExistError, [
      ...RUN_DOC_FRAMES,
      frame(316, "run_doc_method", "doc = frappe.get_doc(dt, dn)"),
      ["apps/frappe/frappe/model/document.py", 276, "load_from_db", "frappe.throw("],
    ]);
  }
  return dn;
}

/** Document.submit / Document.cancel through save(): the docstatus transitions Frappe allows. */
function transition(name: string, to: 1 | 2): void {
  const from = docstatus.get(name) ?? 0;
  const raiseAt = (cls: ExceptionClass, text: string): never => {
    throw new FrappeException(cls, text, [
      ...RUN_DOC_FRAMES,
      frame(345, "run_doc_method", "response = doc.run_method(method)"),
      ["apps/frappe/frappe/model/document.py", 745, "check_docstatus_transition", `raise frappe.${cls.name}(`],
    ]);
  };
  // Raised, not thrown: these carry no _server_messages.
  if (from === 2) raiseAt(Exc.ValidationError, "Cannot edit cancelled document");
  if (from === 0 && to === 2)
    raiseAt(Exc.DocstatusTransitionError, "Cannot change docstatus from 0 (Draft) to 2 (Cancelled)");
  docstatus.set(name, to);
}

/** Methods of SalesInvoice that exist but carry no @frappe.whitelist(): defining module per name. */
const NOT_WHITELISTED: Readonly<Record<string, string>> = {
  save: "frappe.model.document",
  insert: "frappe.model.document",
  delete: "frappe.model.document",
  validate: CONTROLLER_MODULE,
  on_submit: CONTROLLER_MODULE,
};

/**
 * run_doc_method(method, docs, dt, dn, arg, args): loads the document, checks the method is
 * whitelisted, runs it, appends the document to `docs` and puts a non-None return value in
 * `message`. `submit` and `cancel` return the document itself (save() returns self), so a
 * successful call answers `{"docs": [doc], "message": doc}`.
 */
export const runDocMethod: PyFunction = {
  name: "run_doc_method",
  whitelisted: false,
  params: ["method", ["docs", null], ["dt", null], ["dn", null], ["arg", null], ["args", null]],
  run(args, { local }) {
    const { method, dt, dn, docs } = args;
    let doctype: unknown = dt;
    let name: unknown = dn === null || dn === "" ? dt : dn;
    if (typeof dt !== "string" || dt === "") {
      // Called with the full document (`docs`) instead of dt/dn.
      const parsed = typeof docs === "string" ? parseJson(docs) : docs;
      if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
        throw new FrappeException(Exc.ValueError, "First non keyword argument must be a string or dict", [
          ...RUN_DOC_FRAMES,
        ]);
      }
      doctype = "doctype" in parsed ? parsed.doctype : undefined;
      name = "name" in parsed ? parsed.name : undefined;
    }
    const doc = getDoc(local, String(doctype), String(name));
    if (typeof method !== "string") {
      throw new FrappeException(Exc.TypeError, `attribute name must be string, not '${pyType(method)}'`, [
        ...RUN_DOC_FRAMES,
      ]);
    }
    if (method !== "submit" && method !== "cancel") {
      const module = NOT_WHITELISTED[method];
      if (module === undefined) {
        throw new FrappeException(Exc.AttributeError, `'SalesInvoice' object has no attribute '${method}'`, [
          ...RUN_DOC_FRAMES,
          frame(333, "run_doc_method", "method_obj = getattr(doc, method)"),
        ]);
      }
      isWhitelisted(local, module, { name: method, whitelisted: false, params: [], run: () => null });
    }
    transition(doc, method === "submit" ? 1 : 2);
    const dict = invoiceDict(doc, method === "submit" ? 1 : 2, local.user);
    const docsOut = local.response.docs;
    if (Array.isArray(docsOut)) docsOut.push(dict);
    local.response.message = dict;
    return undefined;
  },
};
