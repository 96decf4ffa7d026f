import { describe, expect, it } from '@jest/globals';
import { canonicalJson, chainRecord, GENESIS_HASH, recordHash, verifyChain, type AuditEntry, type AuditRecord } from './audit-chain.js';

const entry = (n: number): AuditEntry => ({
  time: `2026-12-07T10:00:0${n % 10}.000Z`,
  action: n % 2 === 0 ? 'dlq.purge' : 'consumer.pause',
  principal: 'key:ops',
  target: `dlq/${n}`,
  requestId: `req-${n}`,
  host: 'producer-0',
  result: { outcome: 'succeeded', status: 204 },
});

/** A trail of `n` records at sequences 1..n, as the writer appends them. */
function trail(n: number): AuditRecord[] {
  const records: AuditRecord[] = [];
  for (let seq = 1; seq <= n; seq++) records.push(chainRecord(entry(seq), seq, records.at(-1)?.hash ?? GENESIS_HASH));
  return records;
}

/** Records as stored: at their own sequence, unless `at` says otherwise (a rewritten store). */
const stored = (records: AuditRecord[], at?: (i: number) => number) => records.map((r, i) => ({ seq: at ? at(i) : r.seq, data: JSON.stringify(r) }));

/** Renumbered 1..n: an attacker who rewrote the whole store, so sequences alone show nothing. */
const renumbered = (records: AuditRecord[]) => stored(records, (i) => i + 1);

describe('canonicalJson', () => {
  it('sorts keys at every level, so construction order does not change the hash', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { f: true, e: null }], c: 'x' } })).toBe('{"a":{"c":"x","d":[1,{"e":null,"f":true}]},"b":1}');
    const a = chainRecord(entry(1), 1, GENESIS_HASH);
    const reordered = JSON.parse(JSON.stringify(Object.fromEntries(Object.entries(a).reverse()))) as AuditRecord;
    expect(recordHash(reordered)).toBe(a.hash);
  });

  it('hashes what is stored: members left undefined and undefined array items as JSON.stringify writes them', () => {
    const record = chainRecord({ ...entry(1), details: { gone: undefined, list: [1, undefined] } }, 1, GENESIS_HASH);
    expect(verifyChain([{ seq: 1, data: JSON.stringify(record) }]).intact).toBe(true);
  });

  it('refuses values JSON cannot hold exactly', () => {
    expect(() => canonicalJson({ n: Number.NaN })).toThrow('NaN');
  });
});

describe('verifyChain', () => {
  it('passes an intact trail and says it starts at the genesis', () => {
    const records = trail(5);
    const result = verifyChain(stored(records));
    expect(result).toEqual({ intact: true, checked: 5, first: { seq: 1, genesis: true }, last: { seq: 5, hash: records[4]!.hash }, problems: [], problemsOmitted: 0 });
  });

  it('passes a trail whose oldest records aged out, starting the chain at the first one retained', () => {
    const result = verifyChain(stored(trail(6).slice(2)));
    expect(result.intact).toBe(true);
    expect(result.first).toEqual({ seq: 3, genesis: false });
  });

  it('detects a removed record: a gap in the sequences', () => {
    const records = trail(5);
    records.splice(2, 1);
    const result = verifyChain(stored(records));
    expect(result.intact).toBe(false);
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 4, kind: 'missing' }));
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 4, kind: 'unlinked' }));
  });

  it('detects a removed record even when the store was renumbered to hide the gap', () => {
    const records = trail(5);
    records.splice(2, 1);
    const kinds = verifyChain(renumbered(records)).problems.map((p) => p.kind);
    expect(kinds).toContain('unlinked');
    expect(kinds).toContain('misplaced');
  });

  it('detects an altered record (content changed, hash kept)', () => {
    const records = trail(4);
    records[1] = { ...records[1]!, principal: 'key:someone-else' };
    const result = verifyChain(stored(records));
    expect(result.problems).toEqual([expect.objectContaining({ seq: 2, kind: 'altered' })]);
  });

  it('detects an altered record whose hash was recomputed: the next record no longer links to it', () => {
    const records = trail(4);
    const forged = { ...records[1]!, result: { outcome: 'refused' as const, status: 403 } };
    records[1] = { ...forged, hash: recordHash(forged) };
    const result = verifyChain(stored(records));
    expect(result.problems).toEqual([expect.objectContaining({ seq: 3, kind: 'unlinked' })]);
  });

  it('detects reordered records', () => {
    const records = trail(4);
    [records[1], records[2]] = [records[2]!, records[1]!];
    const kinds = verifyChain(renumbered(records)).problems.map((p) => p.kind);
    expect(kinds).toContain('misplaced');
    expect(kinds).toContain('unlinked');
  });

  it('detects an inserted record, even one chained to its predecessor and stored at the right sequence', () => {
    const records = trail(4);
    const inserted = chainRecord({ ...entry(9), principal: 'key:intruder' }, 3, records[1]!.hash);
    const tampered = [records[0]!, records[1]!, inserted, ...records.slice(2)];
    const result = verifyChain(renumbered(tampered));
    expect(result.intact).toBe(false);
    // Its successor does not link to it (and the rest is one sequence off).
    expect(result.problems).toContainEqual(expect.objectContaining({ seq: 4, kind: 'unlinked' }));
  });

  it('detects a first record that does not start from the genesis', () => {
    const forged = chainRecord(entry(1), 1, 'f'.repeat(64));
    expect(verifyChain(stored([forged])).problems).toEqual([expect.objectContaining({ seq: 1, kind: 'unlinked' })]);
  });

  it('reports what is not a record and goes on checking after it', () => {
    const records = trail(3);
    const result = verifyChain([{ seq: 1, data: JSON.stringify(records[0]) }, { seq: 2, data: '{"hello":' }, { seq: 3, data: JSON.stringify(records[2]) }]);
    expect(result.problems).toEqual([expect.objectContaining({ seq: 2, kind: 'malformed' })]);
    expect(result.checked).toBe(3);
  });
});
