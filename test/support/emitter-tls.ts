/**
 * A stand-in for AWS IoT Core's mTLS endpoint: aedes behind a TLS server that
 * requires a client certificate, with a throwaway CA, server and device
 * certificate made by the `openssl` command in a temporary directory.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AddressInfo, Socket } from 'node:net';
import { join } from 'node:path';
import { Aedes } from 'aedes';
import { tempDir } from './emitter.ts';

export interface TestPki {
  readonly dir: string;
  readonly caCert: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly deviceCert: string;
  readonly deviceKey: string;
}

/** A CA, a server certificate for localhost and a device certificate (P-256 keys), valid one day. */
export function makePki(): TestPki {
  const dir = tempDir();
  const path = (name: string) => join(dir, name);
  const openssl = (...args: string[]) => execFileSync('openssl', args, { cwd: dir, stdio: 'ignore' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  openssl('req', '-x509', ...ec, '-keyout', 'ca.key', '-out', 'ca.crt', '-days', '1', '-subj', '/CN=emitter-test-ca');
  writeFileSync(path('server.ext'), 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
  openssl('req', ...ec, '-keyout', 'server.key', '-out', 'server.csr', '-subj', '/CN=localhost');
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-out',
    'server.crt',
    '-days',
    '1',
    '-extfile',
    'server.ext',
  );
  openssl('req', ...ec, '-keyout', 'device.key', '-out', 'device.csr', '-subj', '/CN=emitter-test-device');
  openssl('x509', '-req', '-in', 'device.csr', '-CA', 'ca.crt', '-CAkey', 'ca.key', '-CAcreateserial', '-out', 'device.crt', '-days', '1');
  return {
    dir,
    caCert: path('ca.crt'),
    serverCert: path('server.crt'),
    serverKey: path('server.key'),
    deviceCert: path('device.crt'),
    deviceKey: path('device.key'),
  };
}

export interface TlsBroker {
  readonly aedes: Aedes;
  readonly port: number;
  /** Common names of the client certificates that connected. */
  readonly clientCertificates: string[];
  close(): Promise<void>;
}

/** aedes on 127.0.0.1 behind TLS that requires a client certificate signed by the PKI's CA. */
export async function startTlsBroker(pki: TestPki): Promise<TlsBroker> {
  const aedes = await Aedes.createBroker();
  const clientCertificates: string[] = [];
  const server: Server = createServer(
    {
      key: readFileSync(pki.serverKey),
      cert: readFileSync(pki.serverCert),
      ca: readFileSync(pki.caCert),
      requestCert: true,
      rejectUnauthorized: true,
    },
    (socket: TLSSocket) => {
      clientCertificates.push(String(socket.getPeerCertificate().subject?.CN));
      aedes.handle(socket);
    },
  );
  server.on('tlsClientError', () => {});
  // Raw connections, handshakes included: close() ends them all.
  const sockets = new Set<Socket>();
  server.on('connection', (socket: Socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return {
    aedes,
    port: (server.address() as AddressInfo).port,
    clientCertificates,
    close: async () => {
      await new Promise<void>((resolve) => aedes.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
