/**
 * The SQL of the PostgreSQL replay store (SPEC.md §7 step 18), one statement
 * per operation, for a table whose quoted, qualified name is `t`. Parameters:
 * $1 sender_hash, $2 message_id, then as each statement says.
 *
 *   CREATE TABLE <t> (
 *     sender_hash text   NOT NULL,  -- sha256hex(sender UTF-8)
 *     message_id  text   NOT NULL,  -- 32 lowercase hex
 *     lease_token text,             -- the holder's token while reserved; NULL once done
 *     lease_until timestamptz,      -- end of the lease (server clock); NULL once done
 *     keep_until  bigint NOT NULL,  -- Unix seconds; a done row is kept through this second
 *     PRIMARY KEY (sender_hash, message_id),
 *     CHECK ((lease_token IS NULL) = (lease_until IS NULL))
 *   );
 *   CREATE INDEX <t>_keep_until ON <t> (keep_until);  -- serves sweep()
 *
 * A row is live while it is a lease with `lease_until > clock_timestamp()`, or
 * done with `keep_until >= floor(epoch(clock_timestamp()))`; any other row
 * counts as absent. Every time is the server's clock.
 */

/** The server's clock in whole Unix seconds, as `open` compares times (SPEC.md §7 step 7). */
const NOW_S = `floor(extract(epoch FROM clock_timestamp()))::bigint`;

export interface ReplaySql {
  readonly create: readonly string[];
  /** $3 token, $4 leaseMs, $5 keepUntil -> one row { reserved, done } (booleans). */
  readonly reserve: string;
  /** $3 keepUntil. */
  readonly commit: string;
  /** $3 token. */
  readonly release: string;
  /** -> one row { done } (boolean). */
  readonly has: string;
  /** $1 batch size -> one row { deleted } (a count). */
  readonly sweep: string;
}

export function replaySql(t: string, indexName: string): ReplaySql {
  const key = `sender_hash = $1 AND message_id = $2`;
  const liveDone = `lease_token IS NULL AND keep_until >= ${NOW_S}`;
  return {
    create: [
      `CREATE TABLE IF NOT EXISTS ${t} (
        sender_hash text NOT NULL,
        message_id text NOT NULL,
        lease_token text,
        lease_until timestamptz,
        keep_until bigint NOT NULL,
        PRIMARY KEY (sender_hash, message_id),
        CHECK ((lease_token IS NULL) = (lease_until IS NULL))
      )`,
      `CREATE INDEX IF NOT EXISTS ${indexName} ON ${t} (keep_until)`,
    ],
    // One statement: the upsert takes the row only when it is absent or no longer live (the
    // row lock of ON CONFLICT serialises concurrent reserves of one key); otherwise the
    // statement's snapshot says whether the row is done. A row that the snapshot does not show
    // as done (held, or changed since) answers 'in-flight': a redelivery later, never a pass.
    reserve: `WITH taken AS (
        INSERT INTO ${t} AS r (sender_hash, message_id, lease_token, lease_until, keep_until)
        VALUES ($1, $2, $3, clock_timestamp() + $4::integer * interval '1 millisecond', $5::bigint)
        ON CONFLICT (sender_hash, message_id) DO UPDATE
          SET lease_token = EXCLUDED.lease_token,
              lease_until = EXCLUDED.lease_until,
              keep_until = EXCLUDED.keep_until
          WHERE CASE WHEN r.lease_token IS NULL THEN r.keep_until < ${NOW_S}
                     ELSE r.lease_until <= clock_timestamp() END
        RETURNING 1
      )
      SELECT EXISTS (SELECT 1 FROM taken) AS reserved,
             EXISTS (SELECT 1 FROM ${t} WHERE ${key} AND ${liveDone}) AS done`,
    // Done, whatever lease is held; a done row already kept longer is left as it is.
    commit: `INSERT INTO ${t} AS r (sender_hash, message_id, lease_token, lease_until, keep_until)
      VALUES ($1, $2, NULL, NULL, $3::bigint)
      ON CONFLICT (sender_hash, message_id) DO UPDATE
        SET lease_token = NULL, lease_until = NULL, keep_until = EXCLUDED.keep_until
        WHERE r.lease_token IS NOT NULL OR r.keep_until < EXCLUDED.keep_until`,
    release: `DELETE FROM ${t} WHERE ${key} AND lease_token = $3`,
    has: `SELECT EXISTS (SELECT 1 FROM ${t} WHERE ${key} AND ${liveDone}) AS done`,
    // Rows past keep_until whose lease (if any) ended too; SKIP LOCKED leaves rows that a
    // reserve or commit is writing to that statement.
    sweep: `WITH doomed AS (
        SELECT sender_hash, message_id FROM ${t}
        WHERE keep_until < ${NOW_S} AND (lease_token IS NULL OR lease_until <= clock_timestamp())
        LIMIT $1 FOR UPDATE SKIP LOCKED
      ), gone AS (
        DELETE FROM ${t} x USING doomed d
        WHERE x.sender_hash = d.sender_hash AND x.message_id = d.message_id
        RETURNING 1
      )
      SELECT count(*)::integer AS deleted FROM gone`,
  };
}
