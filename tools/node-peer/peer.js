#!/usr/bin/env node
// node-peer: a Node.js (@grpc/grpc-js) client of the greeter configured only by a gRPC service
// config file, as a Node service calling a kuberpc service would be. It loads the example's
// proto with @grpc/proto-loader, makes two calls without a deadline of its own and prints what
// it saw; the Rust test counts the attempts on the server.
//
// usage: node-peer <service-config.json> <host:port> <retried-name> <slow-name>
// Prints "retried <code> after <ms> ms; slow <code> after <ms> ms"; the Rust test judges.
//
// With PEER_TLS_DIR set it speaks mutual TLS as a Node service in a kuberpc system would: the
// certificate cert-manager's Secret holds (tls.crt, tls.key in that directory), the server's
// checked against its ca.crt for the name PEER_SERVER_NAME (default: the target's host).
'use strict';

const fs = require('fs');
const path = require('path');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

// The example's proto and kuberpc's options.proto it imports, from this clone.
const repo = path.resolve(__dirname, '../..');
const definition = protoLoader.loadSync('greeter/v1/greeter.proto', {
  includeDirs: [path.join(repo, 'examples/greeter/proto'), path.join(repo, 'proto')],
});
const { Greeter } = grpc.loadPackageDefinition(definition).greeter.v1;

// A plaintext channel's credentials, or mutual TLS with the certificate in PEER_TLS_DIR.
function credentials(target) {
  const dir = process.env.PEER_TLS_DIR;
  if (!dir) return { creds: grpc.credentials.createInsecure(), options: {} };
  const read = (name) => fs.readFileSync(path.join(dir, name));
  const creds = grpc.credentials.createSsl(read('ca.crt'), read('tls.key'), read('tls.crt'));
  const name = process.env.PEER_SERVER_NAME || target.slice(0, target.lastIndexOf(':'));
  return { creds, options: { 'grpc.ssl_target_name_override': name, 'grpc.default_authority': name } };
}

// One call: how it ended (a status code name) and how long it took, in ms.
function timed(client, name) {
  const started = process.hrtime.bigint();
  return new Promise((resolve) => {
    client.SayHello({ name }, (error) => {
      const ms = Number((process.hrtime.bigint() - started) / 1000000n);
      resolve([error ? grpc.status[error.code] : 'OK', ms]);
    });
  });
}

async function main() {
  const args = process.argv.slice(2);
  if (args.length !== 4) {
    throw new Error('usage: node-peer <service-config.json> <host:port> <retried-name> <slow-name>');
  }
  const [configPath, target, retried, slow] = args;
  const config = fs.readFileSync(configPath, 'utf8');
  const { creds, options } = credentials(target);
  const client = new Greeter(`dns:${target}`, creds, { ...options, 'grpc.service_config': config });
  const [retriedCode, retriedMs] = await timed(client, retried);
  const [slowCode, slowMs] = await timed(client, slow);
  client.close();
  console.log(`retried ${retriedCode} after ${retriedMs} ms; slow ${slowCode} after ${slowMs} ms`);
}

main().catch((error) => {
  console.error('node-peer:', error.message);
  process.exit(1);
});
