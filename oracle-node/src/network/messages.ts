/**
 * What oracles say to each other, as JSON in gossipsub messages. Every message is an envelope from
 * one oracle: its address, its binding (identity.ts), when it was sent, and items of one kind:
 *
 * - `statements`: EIP-712 signatures of this oracle over a topic's figures (`report-<booking>-<first>-<last>`,
 *   `attestation-<resource>-<version>`, `provision-<booking>`), exactly what goes on chain;
 * - `targets`: where a booking this oracle provisioned answers probes (host, port, path; no secrets).
 *
 * Parsing is strict: anything else is refused, and the sender is scored down.
 */
import { z } from "zod";

const hex = (bytes: number) => z.string().regex(new RegExp(`^0x[0-9a-fA-F]{${bytes * 2}}$`));
const address = hex(20).transform((a) => a.toLowerCase());
const signature = hex(65) as unknown as z.ZodType<`0x${string}`>;
const topic = z
  .string()
  .regex(/^[a-z]+(-[0-9]+){1,3}$/)
  .max(100);
/** Most periods in one report statement. */
export const MAX_REPORT_PERIODS = 256;
const figures = z
  .record(z.string().max(32), z.union([z.string().max(100), z.number(), z.array(z.number()).max(MAX_REPORT_PERIODS)]))
  .refine((f) => Object.keys(f).length <= 16, "too many figures");

export const statementItem = z.strictObject({ topic, figures, signature });

export const probeTarget = z.strictObject({
  kind: z.enum(["tcp", "http"]),
  host: z.string().min(1).max(253),
  port: z.int().min(1).max(65_535),
  path: z
    .string()
    .regex(/^\/[\x21-\x7e]*$/)
    .max(200)
    .optional(),
});

export const targetItem = z.strictObject({ bookingId: z.string().regex(/^[0-9]{1,78}$/), target: probeTarget });

/** Items per message: a node announces in batches, so honest traffic stays far below the rate limits. */
export const MAX_ITEMS = 256;

const envelopeOf = <K extends string, I extends z.ZodType>(kind: K, item: I) =>
  z.strictObject({
    v: z.literal(1),
    oracle: address,
    binding: signature,
    sentAtMs: z.int().positive(),
    kind: z.literal(kind),
    items: z.array(item).min(1).max(MAX_ITEMS),
  });

const envelope = z.discriminatedUnion("kind", [
  envelopeOf("statements", statementItem),
  envelopeOf("targets", targetItem),
]);

export type Envelope = z.infer<typeof envelope>;
export type StatementItem = z.infer<typeof statementItem>;
export type TargetItem = z.infer<typeof targetItem>;
export type Kind = Envelope["kind"];

export function encode(message: Envelope): Uint8Array {
  return new TextEncoder().encode(JSON.stringify(message));
}

/** The envelope in `data`, or undefined if it is not one. */
export function decode(data: Uint8Array): Envelope | undefined {
  try {
    const parsed = envelope.safeParse(JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(data)));
    return parsed.success ? parsed.data : undefined;
  } catch {
    return undefined;
  }
}
