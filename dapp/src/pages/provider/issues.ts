/** Phrases the shared schema's issues for a form: short, next to the field they concern. */

/** The parts of a zod issue the phrasing reads (the dApp reaches zod only through the sdk's schemas). */
interface Issue {
  code?: string;
  input?: unknown;
  expected?: string;
  origin?: string;
  minimum?: unknown;
  maximum?: unknown;
  inclusive?: boolean;
  values?: readonly unknown[];
}

export function fieldMessage(issue: Issue): string | undefined {
  const limit = (value: unknown) => (typeof value === "bigint" ? value.toString() : String(value));
  switch (issue.code) {
    case "invalid_type":
      if (issue.input === undefined) return "required";
      if (issue.expected === "int") return "must be a whole number";
      return issue.expected === "number" ? "must be a number" : undefined;
    case "too_small":
      if (issue.origin === "string") return issue.minimum === 1 ? "required" : undefined;
      if (issue.origin === "array") return `add at least ${limit(issue.minimum)}`;
      return issue.inclusive ? `must be at least ${limit(issue.minimum)}` : `must be more than ${limit(issue.minimum)}`;
    case "too_big":
      if (issue.origin === "string") return `must be at most ${limit(issue.maximum)} characters`;
      if (issue.origin === "array") return `at most ${limit(issue.maximum)} entries`;
      return `must be at most ${limit(issue.maximum)}`;
    case "invalid_value":
      return issue.values ? `must be one of ${issue.values.map(String).join(", ")}` : undefined;
    default:
      return undefined;
  }
}
