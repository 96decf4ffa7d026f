import { execFileSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** A CA, a server certificate for loopback and a client certificate signed by it (PEM files). */
export interface TlsFiles {
  dir: string;
  ca: string;
  caKey: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
}

export function tlsFilesIn(dir: string): TlsFiles {
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    caKey: join(dir, 'ca-key.pem'),
    serverCert: join(dir, 'server.pem'),
    serverKey: join(dir, 'server-key.pem'),
    clientCert: join(dir, 'client.pem'),
    clientKey: join(dir, 'client-key.pem'),
  };
}

const openssl = (args: string[], cwd: string) => execFileSync('openssl', args, { cwd, stdio: ['ignore', 'pipe', 'pipe'] });

/** An EC P-256 key and a CSR for `cn`. */
function request(dir: string, name: string, cn: string): string {
  const csr = join(dir, `${name}.csr`);
  openssl(['req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', join(dir, `${name}-key.pem`), '-out', csr, '-subj', `/CN=${cn}`], dir);
  return csr;
}

function sign(dir: string, name: string, csr: string, extensions: string[], files: TlsFiles): void {
  const ext = join(dir, `${name}.ext`);
  writeFileSync(ext, `${extensions.join('\n')}\n`);
  openssl(['x509', '-req', '-in', csr, '-CA', files.ca, '-CAkey', files.caKey, '-set_serial', `0x${Date.now().toString(16)}${name.length}`, '-days', '825', '-out', join(dir, `${name}.pem`), '-extfile', ext], dir);
  rmSync(csr);
  rmSync(ext);
}

/**
 * Generates the files with the `openssl` CLI (once: existing files are kept).
 * The server certificate names `hosts` (IP addresses or DNS names) and
 * serves routes too; the client certificate is for mTLS. Keys are readable by the owner only.
 */
export function generateTlsFiles(dir: string, hosts: string[] = ['127.0.0.1', 'localhost']): TlsFiles {
  const files = tlsFilesIn(dir);
  if ([files.ca, files.serverCert, files.clientCert].every((f) => existsSync(f))) return files;
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  openssl(
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', files.caKey, '-out', files.ca, '-days', '3650', '-subj', '/CN=nestjet local CA',
      '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    dir,
  );
  const san = hosts.map((h) => (/^[\d.]+$|:/.test(h) ? `IP:${h}` : `DNS:${h}`)).join(',');
  // clientAuth too: a server of a cluster presents this certificate on the routes it solicits (mutual TLS).
  sign(dir, 'server', request(dir, 'server', 'nats-server'), [`subjectAltName=${san}`, 'keyUsage=critical,digitalSignature', 'extendedKeyUsage=serverAuth,clientAuth'], files);
  sign(dir, 'client', request(dir, 'client', 'nestjet-client'), ['keyUsage=critical,digitalSignature', 'extendedKeyUsage=clientAuth'], files);
  for (const key of [files.caKey, files.serverKey, files.clientKey]) chmodSync(key, 0o600);
  return files;
}
