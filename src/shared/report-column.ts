// A report's result columns: Frappe's field types and the column shape that results are written with.

/** Frappe's field types, as columns declare them. Clients type result columns from these. */
export const FieldType = {
  Data: "Data",
  Int: "Int",
  Float: "Float",
  Currency: "Currency",
  Percent: "Percent",
  Date: "Date",
  Datetime: "Datetime",
  Time: "Time",
  Duration: "Duration",
  Check: "Check",
  Link: "Link",
  Select: "Select",
  SmallText: "Small Text",
  LongText: "Long Text",
} as const;
export type FieldType = (typeof FieldType)[keyof typeof FieldType];

/**
 * A result column. Values in rows follow Frappe's conventions: numbers for Int/Float/Currency/
 * Percent/Duration (seconds), `0`/`1` for Check, `"YYYY-MM-DD"` for Date, `"YYYY-MM-DD HH:MM:SS"`
 * (UTC) for Datetime, `"HH:MM:SS"` for Time, text otherwise; `null` for no value.
 */
export interface Column {
  readonly fieldname: string;
  /** Unique within the report (Power BI uses labels as column names). */
  readonly label: string;
  readonly fieldtype: FieldType;
  /** For Link: the linked document type; for Select: the options, one per line. */
  readonly options?: string;
  readonly width?: number;
}
