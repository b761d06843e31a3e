import { test } from "node:test";
import assert from "node:assert/strict";
import { createHash, createHmac, randomBytes } from "node:crypto";

import { webSocketTransport } from "../../extension/lib/host.js";
import { answerChallenge, clientHello, pairingKey, toHex } from "../../extension/lib/pairing.js";

// Known answers from the server's side (native_host/omamori/pairing.py; tests/test_server.py checks the same
// numbers), so the two implementations agree byte for byte.
const TOKEN = "0123456789abcdef0123456789abcdef";
const CLIENT_NONCE = Uint8Array.from({ length: 32 }, (_, i) => i);
const SERVER_NONCE_HEX = toHex(Uint8Array.from({ length: 32 }, (_, i) => 32 + i));
const SERVER_PROOF = "48a2bc27d3323bb60b9a3e4a1bc8854b4540f0e683d50ceafd60dccf45b1f487";
const CLIENT_PROOF = "8d66dc2a8aaecc148b783aa12a128a9b5068c6a820ee11f37ccb35fb2ecfa795";
const REPLY_0 = 'e063848e5b771a556b1d94464e62456baa97d6b7fb98eff3ea3e5dd978b7d3a7{"ok":true}';
const REPLY_1 = "32096d0c707c87bc4a9df67423b92f4a3a1443e6ac4d29cc871acd498f98dfab000102";
const REQUEST_0 = '0fdd8294293fa788efe379993eb2a9eb2df7b2335287df05d9d5987659390d37{"type":"hello"}';

const challenge = (proof, nonce = SERVER_NONCE_HEX) => JSON.stringify({ type: "auth.challenge", auth: 1, nonce, proof });
const bytesOfHex = (hex) => Uint8Array.from(hex.match(/../g), (h) => parseInt(h, 16));

test("handshake and MACs agree with the server's implementation", async () => {
  const key = await pairingKey(TOKEN);
  const answer = await answerChallenge(key, CLIENT_NONCE, challenge(SERVER_PROOF));
  assert.deepEqual(JSON.parse(answer.proof), { type: "auth.proof", proof: CLIENT_PROOF });
  assert.equal(await answer.channel.seal('{"type":"hello"}'), REQUEST_0);
  assert.equal(await answer.channel.open(REPLY_0), '{"ok":true}');
  assert.deepEqual([...new Uint8Array(await answer.channel.open(bytesOfHex(REPLY_1).buffer))], [0, 1, 2]);
});

test("a server that cannot prove the key gets no proof; forged, replayed and reflected frames are refused", async () => {
  const key = await pairingKey(TOKEN);
  const wrong = SERVER_PROOF.replace(/^./, (c) => (c === "0" ? "1" : "0"));
  assert.equal(await answerChallenge(key, CLIENT_NONCE, challenge(wrong)), null);
  assert.equal(await answerChallenge(await pairingKey("another token"), CLIENT_NONCE, challenge(SERVER_PROOF)), null);
  assert.equal(await answerChallenge(null, CLIENT_NONCE, challenge(SERVER_PROOF)), null, "never paired");
  for (const junk of ["", "{", '{"type":"auth.challenge"}', challenge(SERVER_PROOF, "00"), new ArrayBuffer(8)]) {
    assert.equal(await answerChallenge(key, CLIENT_NONCE, junk), null);
  }
  const replayed = (await answerChallenge(key, CLIENT_NONCE, challenge(SERVER_PROOF))).channel;
  assert.equal(await replayed.open(REPLY_0), '{"ok":true}');
  await assert.rejects(replayed.open(REPLY_0), /MAC/, "the same frame twice");
  const reordered = (await answerChallenge(key, CLIENT_NONCE, challenge(SERVER_PROOF))).channel;
  await assert.rejects(reordered.open(bytesOfHex(REPLY_1).buffer), /MAC/, "the second frame first");
  const reflected = (await answerChallenge(key, CLIENT_NONCE, challenge(SERVER_PROOF))).channel;
  await assert.rejects(reflected.open(REQUEST_0), /MAC/, "our own frame sent back");
});

/**
 * A WebSocket stand-in whose other end is `serve(frame, socket)`: the real server's side in a few lines of
 * node:crypto (an implementation of its own, not the extension's), or a squatter.
 */
function fakeSocketClass(serve) {
  return class {
    static last;
    constructor(url) {
      this.url = url;
      this.sent = [];
      this.listeners = {};
      this.constructor.last = this;
      setTimeout(() => this.emit("open", {}), 0);
    }
    addEventListener(type, listener) {
      (this.listeners[type] ??= []).push(listener);
    }
    emit(type, event) {
      for (const listener of this.listeners[type] ?? []) listener(event);
    }
    send(frame) {
      this.sent.push(frame);
      setTimeout(() => serve(frame, this), 0);
    }
    close() {
      setTimeout(() => this.emit("close", {}), 0);
    }
  };
}

function pairedServer(token) {
  const key = createHash("sha256").update(token).digest();
  const mac = (k, ...parts) => createHmac("sha256", k).update(Buffer.concat(parts.map((p) => Buffer.from(p)))).digest();
  let nonces = null;
  let session = null;
  let received = 0;
  let sent = 0;
  return (frame, socket) => {
    if (!nonces) {
      const hello = JSON.parse(frame);
      nonces = Buffer.concat([Buffer.from(hello.nonce, "hex"), randomBytes(32)]);
      const proof = mac(key, "omamori-pairing-v1 server proof", nonces);
      socket.emit("message", { data: challenge(proof.toString("hex"), nonces.subarray(32).toString("hex")) });
      return;
    }
    if (!session) {
      assert.equal(JSON.parse(frame).proof, mac(key, "omamori-pairing-v1 client proof", nonces).toString("hex"));
      session = mac(key, "omamori-pairing-v1 session key", nonces);
      return;
    }
    const number = (n) => {
      const bytes = Buffer.alloc(8);
      bytes.writeBigUInt64BE(BigInt(n));
      return bytes;
    };
    const body = frame.slice(64);
    assert.equal(frame.slice(0, 64), mac(session, "to-server", number(received++), "T", body).toString("hex"));
    const request = JSON.parse(body);
    const reply = JSON.stringify({ v: 1, id: request.id, type: request.type, ok: true, result: { echo: request.type } });
    socket.emit("message", { data: mac(session, "to-client", number(sent++), "T", reply).toString("hex") + reply });
  };
}

test("over the transport: requests wait for the server's proof, then go sealed and come back opened", async () => {
  const Socket = fakeSocketClass(pairedServer(TOKEN));
  const received = [];
  const transport = webSocketTransport(Socket, "ws://127.0.0.1:8765", await pairingKey(TOKEN))({
    onMessage: (message) => received.push(message),
    onClose: (code) => received.push(code),
  });
  transport.send({ v: 1, id: "r1", type: "hello" });
  transport.send({ v: 1, id: "r2", type: "settings.get" });
  while (received.length < 2) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(received.map((m) => m.result.echo), ["hello", "settings.get"]);
  assert.equal(Socket.last.url, "ws://127.0.0.1:8765", "nothing in the address");
  assert.ok(!Socket.last.sent.some((frame) => String(frame).includes(TOKEN)));
});

test("over the transport: a squatter's made-up proof closes the connection, and nothing but the hello was sent", async () => {
  const Socket = fakeSocketClass((frame, socket) => {
    const hello = JSON.parse(frame);
    if (hello.type === "auth.hello") socket.emit("message", { data: challenge(toHex(randomBytes(32))) });
  });
  const closed = [];
  const transport = webSocketTransport(Socket, "ws://127.0.0.1:8765", await pairingKey(TOKEN))({
    onMessage: () => assert.fail("a message from a server that did not prove itself"),
    onClose: (code) => closed.push(code),
  });
  transport.send({ v: 1, id: "r1", type: "protect", name: "art.png", image: "AAAA" });
  while (!closed.length) await new Promise((resolve) => setTimeout(resolve, 5));
  assert.deepEqual(closed, ["server_unverified"]);
  assert.equal(Socket.last.sent.length, 1);
  assert.equal(JSON.parse(Socket.last.sent[0]).type, "auth.hello");
});

test("a fresh nonce on every connection", () => {
  assert.notEqual(toHex(clientHello().nonce), toHex(clientHello().nonce));
});
