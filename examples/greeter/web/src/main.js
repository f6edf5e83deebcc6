// Calls the greeter over gRPC-Web from the page: Connect's gRPC-Web transport, with the
// service and message types read at run time from the descriptor set kuberpc writes (no
// generated JavaScript); and over REST with fetch (SayHello's google.api.http binding). The
// server is the page's `?server=` (default: the page's origin).
import { createFileRegistry, fromBinary } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

const params = new URLSearchParams(location.search);
const baseUrl = params.get("server") ?? location.origin;
const descriptors = params.get("descriptors") ?? "greeter.binpb";

async function greeterClient() {
  const bytes = new Uint8Array(await (await fetch(descriptors)).arrayBuffer());
  const registry = createFileRegistry(fromBinary(FileDescriptorSetSchema, bytes));
  const service = registry.getService("greeter.v1.Greeter");
  return createClient(service, createGrpcWebTransport({ baseUrl }));
}

async function greet(client, name, count) {
  const unary = document.getElementById("unary");
  const stream = document.getElementById("stream");
  try {
    const reply = await client.sayHello({ name }, { timeoutMs: 5000 });
    unary.textContent = reply.message;
  } catch (error) {
    unary.textContent = `error: ${error.message}`;
  }
  try {
    const replies = [];
    for await (const reply of client.sayHelloStream({ name, count }, { timeoutMs: 5000 })) {
      replies.push(reply.message);
      stream.textContent = replies.join("\n");
    }
  } catch (error) {
    stream.textContent = `error: ${error.message}`;
  }
  await greetOverRest(name);
  document.body.dataset.done = "true";
}

// POST /v1/greetings with the request as JSON: a cross-origin page's browser asks first (a
// preflight), as it does for gRPC-Web.
async function greetOverRest(name) {
  const rest = document.getElementById("rest");
  try {
    const response = await fetch(`${baseUrl}/v1/greetings`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ name }),
    });
    const body = await response.json();
    rest.textContent = response.ok ? body.message : `error: ${response.status} ${body.message}`;
  } catch (error) {
    rest.textContent = `error: ${error.message}`;
  }
}

const client = await greeterClient();
document.getElementById("hello").addEventListener("submit", (event) => {
  event.preventDefault();
  delete document.body.dataset.done;
  greet(client, document.getElementById("name").value, Number(document.getElementById("count").value));
});
greet(client, document.getElementById("name").value, Number(document.getElementById("count").value));
