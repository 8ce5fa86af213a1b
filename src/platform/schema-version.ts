// The newest Postgres migration this code was written against: the last entry of
// drizzle's journal (drizzle/meta/_journal.json), bundled with the Worker, so the
// health check can tell a database behind the code from one at or ahead of it.
import journal from "../../drizzle/meta/_journal.json";

export interface Migration {
  tag: string;
  /** drizzle's created_at for it (the journal's `when`, in ms). */
  when: number;
}

export const MIGRATIONS: Migration[] = journal.entries.map((e) => ({ tag: e.tag, when: e.when }));
export const EXPECTED_SCHEMA: Migration = MIGRATIONS[MIGRATIONS.length - 1]!;

/** The newest migration at or before this applied created_at (null: none). */
export const migrationAt = (applied: number): Migration | null => MIGRATIONS.filter((m) => m.when <= applied).at(-1) ?? null;
