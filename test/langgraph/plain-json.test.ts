import { AIMessage, HumanMessage, ToolMessage } from '@langchain/core/messages';
import { Send } from '@langchain/langgraph';
import { JsonPlusSerializer } from '@langchain/langgraph-checkpoint';
import { describe, expect, it } from 'vitest';
import { loadsTyped } from '../../src/langgraph/plain-json.js';

/**
 * The saver's shortcut past JsonPlusSerializer's reviver (src/langgraph/plain-json.ts) must give
 * what the serializer itself gives, for every kind of value the serializer writes, and must take
 * the shortcut only where nothing could be revived.
 */
class CountingSerializer extends JsonPlusSerializer {
  calls = 0;
  override async loadsTyped(type: string, data: Uint8Array | string): Promise<unknown> {
    this.calls += 1;
    return super.loadsTyped(type, data);
  }
}

const plain: Record<string, unknown> = {
  object: { a: 1, b: [1, 'two', null, true, { c: 3.5 }], d: {} },
  array: [[], [[1]], { x: [] }],
  'string naming lc': { text: 'a "lc" key and {"lc": 1} in a string', lc_like: 'lcd' },
  unicode: { clé: 'naïve ✓ 𝄞', empty: '' },
  numbers: [0, -0, 1e21, -3.25, Number.MAX_SAFE_INTEGER],
  'checkpoint-like': {
    v: 4,
    id: '1f1f2893-7516-6ac0-ffff-9850e7811855',
    ts: '2026-12-07T21:57:37.772Z',
    channel_values: { messages: [{ role: 'ai', content: 'x' }], counter: 1 },
    channel_versions: { messages: 2, counter: 2 },
    versions_seen: { agent: { messages: 1 } },
  },
  metadata: { source: 'loop', step: 1, parents: {} },
  // A Send is written as {node, args}: nothing to revive, as the serializer itself reads it back.
  send: [new Send('node', { x: 1 })],
};

const revived: Record<string, unknown> = {
  'undefined inside': { a: undefined, b: [undefined, 1] },
  set: new Set([1, 'a']),
  map: new Map([['k', { v: 1 }]]),
  regexp: /a+b/gi,
  error: new Error('boom'),
  bytes: { b: new Uint8Array([1, 2, 3]) },
  messages: [
    new HumanMessage('hello'),
    new AIMessage({ content: '', tool_calls: [{ id: 'c1', name: 'echo', args: { q: 1 } }] }),
    new ToolMessage({ content: 'ok', tool_call_id: 'c1' }),
  ],
  'proto key': JSON.parse('{"__proto__": {"polluted": true}, "a": 1}'),
};

describe('loading a checkpoint past the reviver', () => {
  for (const [name, value] of Object.entries({ ...plain, ...revived })) {
    it(`gives what JsonPlusSerializer gives: ${name}`, async () => {
      const serde = new CountingSerializer();
      const [type, bytes] = await serde.dumpsTyped(value);
      const expected = await new JsonPlusSerializer().loadsTyped(type, bytes);
      // A subclass is never bypassed: its own loadsTyped runs.
      expect(await loadsTyped(serde, type, bytes)).toEqual(expected);
      expect(serde.calls).toBe(1);
      const direct = await loadsTyped(new JsonPlusSerializer(), type, bytes);
      expect(direct).toEqual(expected);
      // The reviver's copy turns a "__proto__" key into a prototype: that value keeps the reviver.
      if (name === 'proto key') expect(Object.getPrototypeOf(direct)).toEqual({ polluted: true });
      else expect(Object.getPrototypeOf(direct)).toBe(Object.getPrototypeOf(expected));
    });
  }

  it('skips the reviver for plain values and keeps it for every value it revives', async () => {
    const serde = new JsonPlusSerializer();
    let revivals = 0;
    const original = serde.loadsTyped.bind(serde);
    serde.loadsTyped = async (type: string, data: Uint8Array | string) => {
      revivals += 1;
      return original(type, data);
    };
    for (const value of Object.values(plain)) {
      const [type, bytes] = await serde.dumpsTyped(value);
      await loadsTyped(serde, type, bytes);
    }
    expect(revivals).toBe(0);
    for (const value of Object.values(revived)) {
      const [type, bytes] = await serde.dumpsTyped(value);
      await loadsTyped(serde, type, bytes);
    }
    expect(revivals).toBe(Object.keys(revived).length);
  });

  it('leaves bytes and malformed JSON to the same outcome as the serializer', async () => {
    const serde = new JsonPlusSerializer();
    const raw = new Uint8Array([7, 8, 9]);
    expect(await loadsTyped(serde, 'bytes', raw)).toEqual(await serde.loadsTyped('bytes', raw));
    const broken = Buffer.from('{"a": ', 'utf8');
    await expect(loadsTyped(serde, 'json', broken)).rejects.toThrow(SyntaxError);
    await expect(serde.loadsTyped('json', broken)).rejects.toThrow(SyntaxError);
  });
});
