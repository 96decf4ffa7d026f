import { describe, expect, it } from '@jest/globals';
import { isLoopbackHost, plaintextAuthProblems } from './transport-security.js';

const password = { user: 'producer', pass: 'p'.repeat(20) };

describe('plaintextAuthProblems', () => {
  it('flags a password or token over plain nats:// or ws:// to another host, one problem per server', () => {
    expect(plaintextAuthProblems({ servers: ['nats://a.example:4222', 'nats://b.example:4222'], ...password })).toHaveLength(2);
    expect(plaintextAuthProblems({ servers: ['ws://a.example:8080'], token: 't'.repeat(20) })).toHaveLength(1);
    expect(plaintextAuthProblems({ servers: ['a.example:4222'], ...password })[0]).toContain('nats://a.example:4222');
    // Credentials in the URL count too, and are not repeated in the problem.
    const [problem] = plaintextAuthProblems({ servers: ['nats://ops:very-secret@a.example:4222'] });
    expect(problem).toContain('nats://a.example:4222');
    expect(problem).not.toContain('very-secret');
  });

  it('accepts TLS (tls:// URL, TLS options, wss://), loopback hosts, no secret, creds files, or an explicit allowance', () => {
    expect(plaintextAuthProblems({ servers: ['tls://a.example:4222'], ...password })).toEqual([]);
    expect(plaintextAuthProblems({ servers: ['nats://a.example:4222'], tls: { caFile: '/ca.pem' }, ...password })).toEqual([]);
    expect(plaintextAuthProblems({ servers: ['wss://a.example:443'], ...password })).toEqual([]);
    expect(plaintextAuthProblems({ servers: ['nats://127.0.0.1:4222', 'nats://localhost:4223', 'nats://[::1]:4224'], ...password })).toEqual([]);
    expect(plaintextAuthProblems({ servers: ['nats://a.example:4222'] })).toEqual([]);
    expect(plaintextAuthProblems({ servers: ['nats://a.example:4222'], credsFile: '/x.creds' })).toEqual([]);
    expect(plaintextAuthProblems({ servers: ['nats://a.example:4222'], allowPlaintextAuth: true, ...password })).toEqual([]);
  });
});

describe('isLoopbackHost', () => {
  it('knows 127.0.0.0/8, ::1 and localhost, nothing else', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'LOCALHOST'].map(isLoopbackHost)).toEqual([true, true, true, true, true]);
    expect(['10.0.0.1', '127.example.com', 'localhost.example.com', '0.0.0.0', '::'].map(isLoopbackHost)).toEqual([false, false, false, false, false]);
  });
});
