/**
 * Metric families the gateway refused, held back so the node's other metrics keep flowing.
 *
 * A PUT is all or nothing: when the gateway's consistency check refuses one family (another group pushed
 * the same name with another type, say), it answers 400 for the whole push, and without this every metric
 * of the node would stop arriving because of one name. The 400's body names the family
 * (`collected metric "index_miss_count" { ... } is not a GAUGE`); that family is left out of the next pushes,
 * reported once, and offered again every `retryAfterPushes` pushes, since the other group may go away.
 *
 * The family is left out by name when the next body is built (see push-body.ts), so holding back works the
 * same for protobuf and text bodies; only text we do not build ourselves is filtered as text (withoutFamilies,
 * in push-body.ts).
 */
import { PushHttpError } from '../errors.js';
import type { PushBody } from './push-body.js';

const NONE: ReadonlySet<string> = new Set();
const REFUSED_FAMILY = /collected metric "?([a-zA-Z_:][a-zA-Z0-9_:]*)"?/;

export class RefusedFamilies {
  /** Family name → pushes left before it is offered to the gateway again. */
  private readonly held = new Map<string, number>();
  private readonly refusals = new Map<string, PushHttpError>();
  private readonly reported = new Set<string>();

  constructor(
    private readonly report: (family: string, error: PushHttpError) => void,
    private readonly retryAfterPushes = 30,
  ) {}

  /** The family a 4xx names, if the body that was sent contains it (so leaving it out can help). */
  static familyOf(error: unknown, sentBody: PushBody | undefined): string | undefined {
    if (!(error instanceof PushHttpError) || error.statusCode >= 500 || sentBody === undefined) return undefined;
    const name = REFUSED_FAMILY.exec(error.body)?.[1];
    if (name === undefined) return undefined;
    return sentBody.contains(name) ? name : undefined;
  }

  /** Hold back the family a refusal names. False when the refusal names none we could leave out. */
  holdBack(error: unknown, sentBody: PushBody | undefined): boolean {
    const family = RefusedFamilies.familyOf(error, sentBody);
    if (family === undefined || this.held.has(family)) return false;
    this.held.set(family, this.retryAfterPushes);
    this.refusals.set(family, error as PushHttpError);
    if (!this.reported.has(family)) {
      this.reported.add(family);
      this.report(family, error as PushHttpError);
    }
    return true;
  }

  get families(): readonly string[] {
    return [...this.held.keys()];
  }

  /** The gateway's refusal of a family currently held back, if any. */
  get refusal(): PushHttpError | undefined {
    for (const family of this.held.keys()) return this.refusals.get(family);
    return undefined;
  }

  /** The families to leave out of the next body; counts down each hold, offering a family again when it runs out. */
  forNextPush(): ReadonlySet<string> {
    if (this.held.size === 0) return NONE;
    for (const [family, left] of this.held) {
      if (left <= 0) {
        this.held.delete(family);
        this.refusals.delete(family);
      } else this.held.set(family, left - 1);
    }
    return new Set(this.held.keys());
  }
}
