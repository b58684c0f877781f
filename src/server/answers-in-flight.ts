import type { KeptOperation } from './result-cache.ts';

/** What a request sharing another's answer is given: the leader's data, or nothing (run yourself). */
export interface SharedAnswer {
  /** The UTF-8 bytes of `{"data":…` without its closing brace (result-cache-hooks.ts `dataOf`). */
  readonly data: Buffer;
  /** The JSON of the leader's estimate, which depends only on what the key holds. */
  readonly estimate: string | undefined;
  /** Counts the follower as a request of the leader's operation (metrics). */
  readonly operation?: KeptOperation | undefined;
}

/** Told the leader's answer once it is known; undefined: it cannot be shared, run the operation. */
export type Follower = (answer: SharedAnswer | undefined) => void;

/** One operation being answered, and the requests waiting for its answer. */
interface Leader {
  readonly followers: Follower[];
}

/**
 * Most requests that wait on one operation; more run their own. Closed-loop clients re-sending
 * the same page together make waves of this size at most; the bound only keeps a flood of one
 * query from holding an unbounded list of replies behind one run.
 */
const MAX_FOLLOWERS = 1024;

/**
 * Identical operations in flight, answered once: a request whose key (result-cache.ts
 * `answerKeyOf`: the query's text, variables, operation name, tenant and scopes) matches an
 * operation already running waits for that operation's answer instead of running its own.
 * Fetches in flight are already shared per entity (entity-cache.ts), but each request still
 * executed its whole tree and serialised its own answer: ten dashboards opening the same page
 * cost ten executions of ~3,000 fields. Nothing is kept: a request that comes after the answer
 * was sent runs (or replays from the result cache) as before.
 *
 * Only answers a replay could send are shared: a query's, with data, without errors or stale
 * data (the hooks decide, as for the result cache); anything else lets the followers run their
 * own, so errors, stale data, refusals and mutations are never handed to another request.
 * Written for this gateway's hooks: DataLoader-style de-duplication libraries share promises of
 * values, not held HTTP replies with their own closings, and none knows the result cache's key.
 */
export class AnswersInFlight {
  private readonly leaders = new Map<string, Leader>();
  private held = 0;

  /** `onFollowerError`: told of a follower that threw (each answers its own request; none should). */
  constructor(private readonly onFollowerError: (error: unknown) => void = () => {}) {}

  /**
   * The request with `key` leads (returns a settle function to call exactly once, with the answer
   * or undefined) or follows an operation already running (returns undefined; `follower` is told).
   */
  enter(key: string, follower: Follower): ((answer: SharedAnswer | undefined) => void) | undefined {
    const running = this.leaders.get(key);
    if (running !== undefined && running.followers.length < MAX_FOLLOWERS) {
      running.followers.push(follower);
      this.held += 1;
      return undefined;
    }
    const leader: Leader = { followers: [] };
    this.leaders.set(key, leader);
    let settled = false;
    return (answer) => {
      if (settled) return;
      settled = true;
      // Only its own entry: after a clear, or past the bound, another leader may hold the key now.
      if (this.leaders.get(key) === leader) this.leaders.delete(key);
      this.held -= leader.followers.length;
      if (leader.followers.length === 0) return;
      // On the next turn, not inside the leader's onSend: its own answer goes first, and a
      // follower's sending (compression, its hooks) never runs in the leader's hook chain.
      setImmediate(() => {
        for (const tell of leader.followers) {
          try {
            tell(answer);
          } catch (error) {
            this.onFollowerError(error);
          }
        }
      });
    };
  }

  /** Operations running now that others could wait on. */
  get size(): number {
    return this.leaders.size;
  }

  /** Requests waiting now for another's answer. */
  get waiting(): number {
    return this.held;
  }

  /**
   * Data changed (an invalidation): requests from now on do not wait on operations begun before,
   * which may have read what changed. Those already waiting still get their leader's answer: they
   * were sent before the change, and an operation of their own could have read the same data.
   */
  clear(): void {
    this.leaders.clear();
  }
}
