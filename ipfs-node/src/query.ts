import { ApiError } from "./errors.ts";

/** The query string of an RPC call; Kubo's clients repeat `arg` for several arguments. */
export class QueryOptions {
  readonly #params: URLSearchParams;

  constructor(params: URLSearchParams) {
    this.#params = params;
  }

  get(name: string): string | undefined {
    return this.#params.get(name) ?? undefined;
  }

  args(): string[] {
    return this.#params.getAll("arg");
  }

  /** The one required `arg`, with Kubo's message when it is missing. */
  arg(name: string): string {
    const [arg] = this.args();
    if (arg === undefined || arg === "") throw new ApiError(`argument "${name}" is required`, 400);
    return arg;
  }
}

const TRUE = new Set(["1", "t", "T", "TRUE", "true", "True"]);
const FALSE = new Set(["0", "f", "F", "FALSE", "false", "False"]);

/** A boolean option, spelled as Go's strconv.ParseBool accepts it (Kubo's parser). */
export function parseBool(query: QueryOptions, name: string, fallback: boolean): boolean {
  const value = query.get(name);
  if (value === undefined) return fallback;
  if (TRUE.has(value)) return true;
  if (FALSE.has(value)) return false;
  throw new ApiError(`could not convert value ${JSON.stringify(value)} to type "bool" (for option "-${name}")`, 400);
}

/** A non-negative integer option. */
export function parseCount(query: QueryOptions, name: string): number | undefined {
  const value = query.get(name);
  if (value === undefined || value === "") return undefined;
  const number = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(number)) {
    throw new ApiError(`option "${name}" must be a non-negative integer, got ${JSON.stringify(value)}`, 400);
  }
  return number;
}
