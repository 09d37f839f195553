// The load generator of bench/heartbeat.py: CONCURRENCY clients on keep-alive connections post
// heartbeats (or, for the baseline, the same JSON to a trivial endpoint) as fast as the server
// answers, for SECONDS after a short warm-up, and print what they measured as JSON.
//
// Each simulated viewer pressed play at position 0 when its first heartbeat was sent and plays
// at 1×, so its position is the time since then by this process's clock; a viewer has at most
// one heartbeat in flight. "watched" adds up, per viewer, the position of its last heartbeat
// the server answered: what an honest 1× player watched, to compare with what was credited.
//
//   node bench/heartbeat_load.mjs config.json
//   config: {port, path, concurrency, seconds, warmup, viewers: [{token, playback}]}
import http from "node:http";
import { readFileSync } from "node:fs";
import { performance } from "node:perf_hooks";

const config = JSON.parse(readFileSync(process.argv[2], "utf8"));
const agent = new http.Agent({ keepAlive: true, maxSockets: config.concurrency });
const viewers = config.viewers.map((v) => ({ ...v, seq: 0, startedAt: 0, answered: 0, busy: false }));

function post(body, token) {
  const payload = JSON.stringify(body);
  return new Promise((resolve) => {
    const request = http.request({
      agent, host: "127.0.0.1", port: config.port, path: config.path, method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Content-Length": Buffer.byteLength(payload),
        Authorization: `Bearer ${token}`,
      },
    }, (response) => {
      const chunks = [];
      response.on("data", (chunk) => chunks.push(chunk));
      response.on("end", () => resolve({ status: response.statusCode, text: Buffer.concat(chunks).toString() }));
    });
    request.on("error", (error) => resolve({ status: 0, text: String(error) }));
    request.end(payload);
  });
}

const latencies = [];
const statuses = {};
const verdicts = {};
let next = 0;
let answered = 0;  // every answer, warm-up included (the CPU figures cover the warm-up too)
let measuring = false;
let stopping = false;

async function client() {
  while (!stopping) {
    let viewer = viewers[next++ % viewers.length];
    for (let tries = 0; viewer.busy && tries < viewers.length; tries++) viewer = viewers[next++ % viewers.length];
    viewer.busy = true;
    const now = performance.now();
    if (!viewer.startedAt) viewer.startedAt = now;
    const position = (now - viewer.startedAt) / 1000;
    const body = {
      playback: viewer.playback, seq: ++viewer.seq, position, playing: true, visible: true,
    };
    const sent = performance.now();
    const answer = await post(body, viewer.token);
    const took = performance.now() - sent;
    viewer.busy = false;
    answered++;
    if (answer.status === 200) {
      viewer.answered = position;
      if (config.path === "/api/v1/heartbeats") {
        const verdict = JSON.parse(answer.text).verdict;
        verdicts[verdict] = (verdicts[verdict] || 0) + 1;
      }
    }
    if (measuring) {
      latencies.push(took);
      statuses[answer.status] = (statuses[answer.status] || 0) + 1;
    }
  }
}

const clients = Array.from({ length: config.concurrency }, client);
await new Promise((r) => setTimeout(r, config.warmup * 1000));
measuring = true;
const began = performance.now();
await new Promise((r) => setTimeout(r, config.seconds * 1000));
measuring = false;
const elapsed = (performance.now() - began) / 1000;
stopping = true;
await Promise.all(clients);
agent.destroy();

latencies.sort((a, b) => a - b);
const at = (q) => latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
const ok = statuses[200] || 0;
console.log(JSON.stringify({
  requests: latencies.length,
  answered,
  errors: latencies.length - ok,
  statuses,
  verdicts,
  rps: latencies.length / elapsed,
  p50_ms: at(0.5),
  p99_ms: at(0.99),
  max_ms: latencies[latencies.length - 1],
  watched_seconds: viewers.reduce((sum, v) => sum + v.answered, 0),
  viewers_started: viewers.filter((v) => v.startedAt).length,
}));
