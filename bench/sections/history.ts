// Section 2: history pages. Keyset pages vs OFFSET paging in rooms of 10k,
// 100k and 1M messages seeded in bulk straight into Postgres, through the API
// and as bare SQL.
import pg from "pg";
import type { BenchContext } from "../context.ts";
import { encodeCursor } from "../../src/domain/cursor.ts";
import { ms, pct, ratio } from "../measure.ts";

async function seedRoom(ctx: BenchContext, db: pg.Client, size: number): Promise<{ code: string; roomId: string }> {
  const code = `h${Math.random().toString(36).slice(2, 9)}`.replace(/[01ilo]/g, "x").slice(0, 8).padEnd(8, "x");
  const { rows: users } = await db.query(
    "insert into users (email, password_hash, reserved_username) values ($1, 'x', $2) returning id",
    [`seed-${code}@example.com`, `seed_${code}`],
  );
  const { rows: rooms } = await db.query("insert into chat_rooms (code, name, host_id) values ($1, $2, $3) returning id", [code, `History ${size}`, users[0].id]);
  const roomId = rooms[0].id as string;
  const chunk = 100_000;
  for (let from = 1; from <= size; from += chunk) {
    const to = Math.min(size, from + chunk - 1);
    await db.query(
      `insert into messages (id, chat_room_id, seq, username, content, created_at)
       select gen_random_uuid(), $1, s, 'seed_user', 'seeded message ' || s, now() - make_interval(secs => $2 - s)
       from generate_series($3::int, $4::int) s`,
      [roomId, size, from, to],
    );
    if (size >= 100_000) ctx.log(`  seeded ${to.toLocaleString()} / ${size.toLocaleString()}`);
  }
  await db.query("analyze messages");
  return { code, roomId };
}

async function timeQuery(ctx: BenchContext, db: pg.Client, sql: string, params: unknown[]): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ctx.opt.samples; i++) {
    const t0 = performance.now();
    await db.query(sql, params);
    out.push(performance.now() - t0);
  }
  return out;
}

async function timePage(ctx: BenchContext, base: string, path: string): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < ctx.opt.samples; i++) {
    const t0 = performance.now();
    const res = await fetch(`${base}${path}`);
    await res.text();
    if (!res.ok) throw new Error(`${path}: ${res.status}`);
    out.push(performance.now() - t0);
  }
  return out;
}

export async function historySection(ctx: BenchContext): Promise<string[]> {
  const app = await ctx.app();
  const db = new pg.Client({ connectionString: ctx.stack.bindings.DATABASE_URL });
  await db.connect();
  try {
    ctx.log(`history: seeding rooms of ${ctx.opt.historySizes.map((n) => n.toLocaleString()).join(", ")} messages in bulk…`);
    const history = [];
    for (const size of ctx.opt.historySizes) {
      const seeded = await seedRoom(ctx, db, size);
      const deepSeq = Math.max(51, Math.floor(size * 0.1)); // a page 90% of the way back
      const keysetNewest = await timeQuery(ctx, db, "select id, seq from messages where chat_room_id = $1 and channel = 'main' and not is_deleted order by seq desc limit 51", [seeded.roomId]);
      const keysetDeep = await timeQuery(ctx, db, "select id, seq from messages where chat_room_id = $1 and channel = 'main' and not is_deleted and seq < $2 order by seq desc limit 51", [seeded.roomId, deepSeq]);
      const offsetDeep = await timeQuery(ctx, db, "select id, seq from messages where chat_room_id = $1 and channel = 'main' and not is_deleted order by seq desc offset $2 limit 51", [seeded.roomId, size - deepSeq]);
      const apiNewest = await timePage(ctx, app.url, `/api/chats/${seeded.code}/messages/?limit=50`);
      const apiDeep = await timePage(ctx, app.url, `/api/chats/${seeded.code}/messages/?limit=50&before=${encodeCursor(deepSeq)}`);
      history.push({ size, keysetNewest, keysetDeep, offsetDeep, apiNewest, apiDeep });
      ctx.log(`  ${size.toLocaleString()}: API deep page p50 ${ms(pct(apiDeep, 50))} ms, OFFSET deep ${ms(pct(offsetDeep, 50))} ms`);
    }
    const small = history[0]!;
    const large = history.at(-1)!;
    return [
      "## History (pages of 50)",
      "",
      "| messages | API newest p50/p99 (ms) | API deep p50/p99 (ms) | SQL keyset newest p50 | SQL keyset deep p50 | SQL OFFSET deep p50 | OFFSET / keyset (deep) |",
      "|---:|---:|---:|---:|---:|---:|---:|",
      ...history.map(
        (h) =>
          `| ${h.size.toLocaleString()} | ${ms(pct(h.apiNewest, 50))} / ${ms(pct(h.apiNewest, 99))} | ${ms(pct(h.apiDeep, 50))} / ${ms(pct(h.apiDeep, 99))} | ${ms(pct(h.keysetNewest, 50))} | ${ms(pct(h.keysetDeep, 50))} | ${ms(pct(h.offsetDeep, 50))} | ${ratio(pct(h.offsetDeep, 50), pct(h.keysetDeep, 50))}× |`,
      ),
      "",
      `Deep page (90% back) through the API, ${large.size.toLocaleString()} vs ${small.size.toLocaleString()} messages: **${(pct(large.apiDeep, 50) / pct(small.apiDeep, 50)).toFixed(2)}×** (goal ≤ 1.5×); SQL keyset ${ratio(pct(large.keysetDeep, 50), pct(small.keysetDeep, 50))}×, SQL OFFSET ${ratio(pct(large.offsetDeep, 50), pct(small.offsetDeep, 50))}×.`,
    ];
  } finally {
    await db.end();
  }
}
